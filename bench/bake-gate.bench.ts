/**
 * The bake gate's cost in AWS calls and its reaction time, against the local fake AWS endpoint (the real
 * adapter and SDK clients over HTTP on 127.0.0.1).
 *
 * 1. AWS calls one gate decision makes when dev runs 5 and 500 service alarms. The gate reads dev's
 *    composite health alarm, so the alarm reads must not grow with the alarm count (target ≤ 4).
 * 2. Time from an alarm event reaching the handler to the PutApprovalResult reject arriving at the endpoint
 *    (target ≤ 200 ms): median and p95 over 50 runs of a warm function.
 */
import { AwsGateAdapter } from '../lambdas/bake-gate/adapter';
import { createGate } from '../lambdas/bake-gate/index';
import { assumeRoleReply, epoch, FakeAwsEndpoint, json, publishReply, RecordedRequest } from '../test/fake-aws-endpoint';
import { gateSettings, serveBakingPipeline } from '../test/bake-gate-fixtures';

const T0 = new Date('2026-03-10T10:00:00Z');
const NOW = new Date(T0.getTime() + 61 * 60_000);
const RUNS = Number(process.env.BENCH_BAKE_GATE_RUNS ?? 50);
const ALARM_READS = new Set(['DescribeAlarms', 'DescribeAlarmHistory', 'GetMetricData']);

const settings = gateSettings({
  evidenceGraceMinutes: 60,
  minimumRequests: 100,
  requestMetric: { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'a1b2c3', Stage: '$default' } },
});

/**
 * One account's alarms as CloudWatch serves them: `serviceAlarms` metric alarms, each with some history,
 * and the composite health alarms over them. Served 100 per page, by name or (if asked) all of them.
 */
function serveAlarms(endpoint: FakeAwsEndpoint, serviceAlarms: number): void {
  const since = epoch(new Date('2026-03-01T00:00:00Z'));
  const metricAlarms = Array.from({ length: serviceAlarms }, (_, i) => ({
    AlarmName: `Dev-Service-Alarm${i}`,
    StateValue: 'OK',
    StateReason: 'fine',
    StateUpdatedTimestamp: since,
  }));
  const composites = ['Dev-Service-Health', 'Prod-Service-Health'].map((AlarmName) => ({ AlarmName, StateValue: 'OK', StateReason: 'fine', StateUpdatedTimestamp: since }));
  const page = <T>(items: T[], token: unknown) => {
    const start = Number(token ?? 0);
    return { items: items.slice(start, start + 100), next: start + 100 < items.length ? String(start + 100) : undefined };
  };
  endpoint.on('monitoring:DescribeAlarms', (r) => {
    const names = r.input.AlarmNames as string[] | undefined;
    const all = [...composites, ...metricAlarms].filter((a) => !names || names.includes(a.AlarmName));
    const { items, next } = page(all, r.input.NextToken);
    const composite = new Set(composites.map((c) => c.AlarmName));
    return json({ CompositeAlarms: items.filter((a) => composite.has(a.AlarmName)), MetricAlarms: items.filter((a) => !composite.has(a.AlarmName)), NextToken: next });
  });
  // Each service alarm went from INSUFFICIENT_DATA to OK once during the bake; the composite stayed OK.
  // Reading every alarm's history (no AlarmName) would page through all of them.
  endpoint.on('monitoring:DescribeAlarmHistory', (r) => {
    const name = r.input.AlarmName as string | undefined;
    const history = metricAlarms
      .filter((a) => !name || a.AlarmName === name)
      .map((a) => ({
        AlarmName: a.AlarmName,
        AlarmType: 'MetricAlarm',
        Timestamp: epoch(new Date(T0.getTime() + 5 * 60_000)),
        HistoryItemType: 'StateUpdate',
        HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'INSUFFICIENT_DATA' }, newState: { stateValue: 'OK', stateReason: 'data' } }),
      }));
    const { items, next } = page(history, r.input.NextToken);
    return json({ AlarmHistoryItems: items, NextToken: next });
  });
  endpoint.on('monitoring:GetMetricData', () =>
    json({ MetricDataResults: [{ Id: 'requests', StatusCode: 'Complete', Timestamps: [epoch(new Date(T0.getTime() + 60_000))], Values: [1000] }] }),
  );
}

function world(endpoint: FakeAwsEndpoint, serviceAlarms: number): void {
  endpoint.reset();
  serveBakingPipeline(endpoint, T0)
    .on('codepipeline:PutApprovalResult', () => json({ approvedAt: epoch(NOW) }))
    .on('sts:AssumeRole', (r) => assumeRoleReply(String(r.input.RoleArn)))
    .on('ssm:GetParametersByPath', () => json({ Parameters: [] }))
    .on('sns:Publish', () => publishReply());
  serveAlarms(endpoint, serviceAlarms);
}

const silent = { info: () => undefined, error: () => undefined };
const newGate = () =>
  createGate({ port: new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate', maxAttempts: 3 }), settings, now: () => NOW, log: silent });

function tally(requests: RecordedRequest[]): { total: number; alarmReads: number; detail: string } {
  const counts = new Map<string, number>();
  for (const r of requests) counts.set(r.operation, (counts.get(r.operation) ?? 0) + 1);
  const alarmReads = requests.filter((r) => ALARM_READS.has(r.operation)).length;
  const detail = [...counts].map(([op, n]) => `${op} ${n}`).join(', ');
  return { total: requests.length, alarmReads, detail };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const endpoint = new FakeAwsEndpoint();
  const url = await endpoint.start();
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' });
  try {
    console.log('AWS calls per gate decision (reconcile of one pending approval, minimum requests configured):');
    for (const serviceAlarms of [5, 500]) {
      world(endpoint, serviceAlarms);
      const gate = newGate();
      await gate({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
      const cold = tally(endpoint.requests);
      endpoint.requests.length = 0;
      await gate({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
      const warm = tally(endpoint.requests);
      console.log(
        `  ${String(serviceAlarms).padStart(3)} service alarms: alarm reads ${warm.alarmReads} (target ≤ 4); ` +
          `all calls ${warm.total} warm, ${cold.total} cold  [warm: ${warm.detail}]`,
      );
    }

    // Halt fast: alarm event in, reject out.
    world(endpoint, 5);
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      account: '222222222222',
      detail: { alarmName: 'Dev-Service-Health', state: { value: 'ALARM', reason: 'Dev-Service-Api5xxRate in ALARM', timestamp: '2026-03-10T10:42:07.000+0000' } },
    };
    let rejectAt: bigint | undefined;
    endpoint.onRequest = (r) => {
      if (r.operation === 'PutApprovalResult' && (r.input.result as { status?: string }).status === 'Rejected') rejectAt ??= r.receivedAt;
    };
    const gate = newGate();
    const samples: number[] = [];
    let coldMs = 0;
    for (let i = 0; i <= RUNS; i++) {
      rejectAt = undefined;
      const start = process.hrtime.bigint();
      await gate(event);
      if (rejectAt === undefined) throw new Error('the gate did not reject');
      const ms = Number(rejectAt - start) / 1e6;
      if (i === 0) coldMs = ms; // the first run also creates the SDK clients and their connections
      else samples.push(ms);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `alarm event → PutApprovalResult reject over the local endpoint (${RUNS} warm runs): median ${percentile(samples, 50).toFixed(1)} ms, ` +
        `p95 ${percentile(samples, 95).toFixed(1)} ms, max ${samples[samples.length - 1].toFixed(1)} ms (target ≤ 200 ms); first run ${coldMs.toFixed(1)} ms`,
    );
  } finally {
    await endpoint.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
