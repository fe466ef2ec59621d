/**
 * The bake gate's cost in AWS calls and its reaction time, against the local fake AWS endpoint (the real
 * adapter and SDK clients over HTTP on 127.0.0.1).
 *
 * 1. AWS calls one dev-bake decision makes (evidence: synthetic checks and requests; configuration history)
 *    when dev's composite health alarm has 5 and 500 service alarms as children. Target ≤ 5 alarm reads
 *    (DescribeAlarms, DescribeAlarmHistory, GetMetricData) per decision, the same at 5 and at 500:
 *      dev   DescribeAlarms of the watched composite                        1
 *      dev   DescribeAlarmHistory StateUpdate of the composite              1
 *      dev   GetMetricData, both evidence queries in one call               1
 *      prod  DescribeAlarms of the health alarm it promotes to              1
 *      dev   DescribeAlarmHistory ConfigurationUpdate, account-wide         1
 *    It was 4 before the gate rejected out-of-band alarm changes: the account-wide configuration-history call
 *    is the one added read. It names no alarm, so it covers the composite's children however many there are
 *    (filtered by name in the adapter), and it does not grow with the alarm count: configuration changes are
 *    rare, so its answer stays one page. Reading each child's history instead would cost one call per child.
 *    Note: CloudWatch caps an AlarmRule at 10,240 characters, so 500 children fit only with short names (as
 *    here); real deployments of that size nest composites.
 * 2. The prod bake's halt-fast path: a prod alarm event in, the Prod/ProdBake reject out (then the
 *    announcement owed, published and paid). Median and p95 of the handler's time over 50 warm runs, and of
 *    the moment the PutApprovalResult reject arrives (target ≤ 200 ms for the handler).
 * 3. Prod as a wave of 1, 5 and 20 targets (each its own account, region and health alarm): AWS calls of one
 *    decision of the wave's bake, and of the dev bake that promotes into the wave. Each target is read once per
 *    decision, however many approvals need it, and its reads run in parallel with the others'. Target: the
 *    wave's bake makes ≤ 4 alarm reads per target plus 4 for its upstream (dev), i.e. linear growth with a
 *    constant per target; the promoting bake ≤ 1 per target (the health alarm only) plus dev's 4; and a
 *    20-target decision within 1 s over the local endpoint (real AWS adds one round trip per step, not per
 *    target, since the targets are read in parallel).
 * A target missed prints "NOT met".
 */
import { AwsGateAdapter } from '@tollgate/constructs/lib/lambdas/bake-gate/adapter';
import { GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { createGate } from '@tollgate/constructs/lib/lambdas/bake-gate/index';
import { gateSettings, serveBakingPipeline, withEnvironment } from '../test/bake-gate-fixtures';
import { assumeRoleReply, CLOUDFORMATION_NS, epoch, FakeAwsEndpoint, json, publishReply, RecordedRequest, xml } from '../test/fake-aws-endpoint';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
/** After the 60-minute dev bake and the 3 minutes of alarm latency. */
const NOW = at(64);
const RUNS = Number(process.env.BENCH_BAKE_GATE_RUNS ?? 50);
const ALARM_READS = new Set(['DescribeAlarms', 'DescribeAlarmHistory', 'GetMetricData']);
const ALARM_READ_TARGET = 5;
const HANDLER_TARGET_MS = 200;

const base = gateSettings();
const settings = withEnvironment(base, 'dev', {
  evidence: {
    ...base.environments[0].evidence,
    requests: { metric: { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'a1b2c3', Stage: '$default' } }, minimum: 100 },
  },
});

/**
 * The accounts as CloudWatch serves them: each health alarm a composite over `serviceAlarms` metric alarms
 * (its AlarmRule names them), its history one recovery during the bake, and an account-wide configuration
 * history of a few unrelated changes. Everything evidence asks for, one datapoint a minute.
 */
function serveAccounts(endpoint: FakeAwsEndpoint, serviceAlarms: number): void {
  const since = epoch(at(-300));
  endpoint.on('monitoring:DescribeAlarms', (r) => {
    const names = (r.input.AlarmNames as string[]) ?? [];
    const CompositeAlarms = names.map((AlarmName) => {
      const prefix = AlarmName.split('-')[0];
      const AlarmRule = Array.from({ length: serviceAlarms }, (_, i) => `ALARM(${prefix}-A${i})`).join(' OR ');
      return { AlarmName, AlarmRule, ActionsEnabled: true, StateValue: 'OK', StateReason: 'all children OK', StateUpdatedTimestamp: since, StateTransitionedTimestamp: since };
    });
    return json({ CompositeAlarms, MetricAlarms: [] });
  });
  endpoint.on('monitoring:DescribeAlarmHistory', (r) => {
    if (r.input.HistoryItemType === 'ConfigurationUpdate') {
      // Modelled on the DescribeAlarmHistory API reference: ConfigurationUpdate HistoryData is the change as JSON.
      const items = ['Billing-Estimate', 'Other-Team-Latency', 'Other-Team-Errors'].map((AlarmName, i) => ({
        AlarmName,
        AlarmType: 'MetricAlarm',
        Timestamp: epoch(at(5 + i)),
        HistoryItemType: 'ConfigurationUpdate',
        HistorySummary: `Alarm "${AlarmName}" updated`,
        HistoryData: JSON.stringify({ type: 'Update', updatedAlarm: { alarmName: AlarmName, threshold: 100 } }),
      }));
      return json({ AlarmHistoryItems: items });
    }
    const AlarmName = String(r.input.AlarmName);
    const recovery = {
      AlarmName,
      AlarmType: 'CompositeAlarm',
      Timestamp: epoch(at(-2)),
      HistoryItemType: 'StateUpdate',
      HistorySummary: 'Alarm updated from INSUFFICIENT_DATA to OK',
      HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: 'INSUFFICIENT_DATA' }, newState: { stateValue: 'OK', stateReason: 'data' } }),
    };
    return json({ AlarmHistoryItems: [recovery] });
  });
  endpoint.on('monitoring:GetMetricData', (r) => {
    const timestamps: number[] = [];
    for (let t = Number(r.input.StartTime); t < Number(r.input.EndTime); t += 60) timestamps.push(t);
    const queries = r.input.MetricDataQueries as { Id: string }[];
    return json({ MetricDataResults: queries.map(({ Id }) => ({ Id, StatusCode: 'Complete', Timestamps: timestamps, Values: timestamps.map(() => 10) })) });
  });
  endpoint.on('cloudformation:DescribeStacks', (r) =>
    xml(
      'DescribeStacks',
      `<Stacks><member><StackName>${String(r.input.StackName)}</StackName><CreationTime>2026-01-05T08:00:00Z</CreationTime><LastUpdatedTime>${at(-180).toISOString()}</LastUpdatedTime><StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks>`,
      CLOUDFORMATION_NS,
    ),
  );
}

function world(endpoint: FakeAwsEndpoint, serviceAlarms: number, stage: 'Dev' | 'Prod'): void {
  endpoint.reset();
  serveBakingPipeline(endpoint, stage === 'Dev' ? T0 : at(-20), { stage })
    .on('codepipeline:PutApprovalResult', () => json({ approvedAt: epoch(NOW) }))
    .on('sts:AssumeRole', (r) => assumeRoleReply(String(r.input.RoleArn)))
    .on('ssm:GetParametersByPath', () => json({ Parameters: [] }))
    .on('sns:Publish', () => publishReply())
    .on('dynamodb:Query', () => json({ Items: [], Count: 0, ScannedCount: 0 }))
    .on('dynamodb:PutItem', () => json({}))
    .on('dynamodb:DeleteItem', () => json({}));
  serveAccounts(endpoint, serviceAlarms);
}

const silent = { info: () => undefined, error: () => undefined };
const newGate = (gateSettings: GateSettings = settings) =>
  createGate({
    port: new AwsGateAdapter({ settings: gateSettings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate', stateTableName: 'tollgate-bake-gate-state', maxAttempts: 3 }),
    settings: gateSettings,
    now: () => NOW,
    log: silent,
  });

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

const met = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function callsPerDecision(endpoint: FakeAwsEndpoint): Promise<void> {
  console.log('AWS calls per dev-bake decision (evidence: synthetic checks + requests; configuration history):');
  const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  for (const serviceAlarms of [5, 500]) {
    world(endpoint, serviceAlarms, 'Dev');
    const gate = newGate();
    const first = await gate(schedule);
    const cold = tally(endpoint.requests);
    endpoint.requests.length = 0;
    await gate(schedule);
    const warm = tally(endpoint.requests);
    const verdict = first.decisions.map((d) => d.verdict).join(',');
    const worst = Math.max(cold.alarmReads, warm.alarmReads);
    console.log(
      `  ${String(serviceAlarms).padStart(3)} service alarms (${verdict}): alarm reads ${warm.alarmReads} warm, ${cold.alarmReads} cold ` +
        `(target ≤ ${ALARM_READ_TARGET}: ${met(worst <= ALARM_READ_TARGET)}); all calls ${warm.total} warm, ${cold.total} cold\n` +
        `      warm: ${warm.detail}\n      cold: ${cold.detail}`,
    );
  }
}

async function prodAlarmToReject(endpoint: FakeAwsEndpoint): Promise<void> {
  world(endpoint, 5, 'Prod');
  const event = {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    account: '333333333333',
    detail: { alarmName: 'Prod-Service-Health', state: { value: 'ALARM', reason: 'Prod-A3 in ALARM', timestamp: at(-10).toISOString() } },
  };
  let rejectAt: bigint | undefined;
  endpoint.onRequest = (r) => {
    if (r.operation === 'PutApprovalResult' && (r.input.result as { status?: string }).status === 'Rejected' && r.input.actionName === 'ProdBake') rejectAt ??= r.receivedAt;
  };
  const gate = newGate();
  const handler: number[] = [];
  const reject: number[] = [];
  let cold = 0;
  for (let i = 0; i <= RUNS; i++) {
    rejectAt = undefined;
    const start = process.hrtime.bigint();
    await gate(event);
    const end = process.hrtime.bigint();
    if (rejectAt === undefined) throw new Error('the gate did not reject the prod bake');
    if (i === 0) {
      cold = Number(end - start) / 1e6; // the first run also creates the SDK clients and their connections
      continue;
    }
    handler.push(Number(end - start) / 1e6);
    reject.push(Number(rejectAt - start) / 1e6);
  }
  endpoint.onRequest = undefined;
  handler.sort((a, b) => a - b);
  reject.sort((a, b) => a - b);
  const p95 = percentile(handler, 95);
  console.log(
    `prod alarm event → Prod/ProdBake reject over the local endpoint (${RUNS} warm runs):\n` +
      `  handler: median ${percentile(handler, 50).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${handler[handler.length - 1].toFixed(1)} ms ` +
      `(target ≤ ${HANDLER_TARGET_MS} ms: ${met(p95 <= HANDLER_TARGET_MS)}); first run ${cold.toFixed(1)} ms\n` +
      `  reject arrives: median ${percentile(reject, 50).toFixed(1)} ms, p95 ${percentile(reject, 95).toFixed(1)} ms`,
  );
}

const WAVE_TARGET_MS = 1000;
const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'];

/** The standard release with Prod a wave of `count` targets, each in its own account and one of five regions. */
function waveSettings(count: number): GateSettings {
  const prod = settings.environments[1];
  const targets = Array.from({ length: count }, (_, i) => {
    const account = String(333333333300 + i);
    return { ...prod, name: `prod-${i + 1}`, account, region: REGIONS[i % REGIONS.length], readerRoleArn: `arn:aws:iam::${account}:role/Tollgate-AlarmReader`, alarmNames: [`Prod${i + 1}-Service-Health`] };
  });
  const names = targets.map((t) => t.name);
  const [devBake, prodBake] = settings.bakes;
  const [entry] = settings.entryChecks;
  return {
    ...settings,
    environments: [settings.environments[0], ...targets],
    bakes: [{ ...devBake, promotion: { ...devBake.promotion!, environments: names } }, { ...prodBake, environments: names }],
    entryChecks: [{ ...entry, promotion: { ...entry.promotion, environments: names } }],
  };
}

async function waveReads(endpoint: FakeAwsEndpoint): Promise<void> {
  console.log('AWS calls per decision with Prod a wave of N targets (warm; each target read once, in parallel):');
  const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };
  for (const count of [1, 5, 20]) {
    const gateSettings = waveSettings(count);
    const rows: string[] = [];
    for (const [stage, perTarget] of [['Prod', 4], ['Dev', 1]] as const) {
      world(endpoint, 5, stage);
      const gate = newGate(gateSettings);
      await gate(schedule);
      endpoint.requests.length = 0;
      const start = process.hrtime.bigint();
      const report = await gate(schedule);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const warm = tally(endpoint.requests);
      const target = perTarget * count + 4;
      const timely = count < 20 || ms <= WAVE_TARGET_MS;
      rows.push(
        `  ${String(count).padStart(2)} targets, ${stage === 'Prod' ? "the wave's bake      " : 'dev bake into the wave'} (${report.decisions.map((d) => d.verdict).join(',')}): ` +
          `alarm reads ${warm.alarmReads} (target ≤ ${perTarget}·${count} + 4 = ${target}: ${met(warm.alarmReads <= target)}), all calls ${warm.total}, ${ms.toFixed(1)} ms` +
          (count === 20 ? ` (target ≤ ${WAVE_TARGET_MS} ms: ${met(timely)})` : ''),
      );
    }
    console.log(rows.join('\n'));
  }
}

async function main(): Promise<void> {
  const endpoint = new FakeAwsEndpoint();
  const url = await endpoint.start();
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' });
  try {
    await callsPerDecision(endpoint);
    await prodAlarmToReject(endpoint);
    await waveReads(endpoint);
  } finally {
    await endpoint.stop();
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
