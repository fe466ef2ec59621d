/**
 * The gate over the wire: the real adapter and SDK clients against a local endpoint, so that retries with
 * backoff, timeouts and the parsing of each protocol's errors really run, and a failure the retries do not
 * cure ends in a rejection that says what failed.
 */
import { AwsGateAdapter } from '../lambdas/bake-gate/adapter';
import { createGate, GateReport } from '../lambdas/bake-gate/index';
import { assumeRoleReply, epoch, FakeAwsEndpoint, json, jsonError, publishReply, STS_NS, xmlError } from './fake-aws-endpoint';
import { gateSettings, serveBakingPipeline } from './bake-gate-fixtures';

const T0 = new Date('2026-03-10T10:00:00Z');
const AFTER_BAKE = new Date(T0.getTime() + 61 * 60_000);

const settings = gateSettings();

const endpoint = new FakeAwsEndpoint();
const savedEnv = { ...process.env };

beforeAll(async () => {
  const url = await endpoint.start();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIAFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake',
  });
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  process.env = savedEnv;
  await endpoint.stop();
});

/** A healthy world: one approval baked for 61 minutes, dev and prod OK, no controls set. */
beforeEach(() => {
  endpoint.reset();
  serveBakingPipeline(endpoint, T0)
    .on('codepipeline:PutApprovalResult', () => json({ approvedAt: epoch(AFTER_BAKE) }))
    .on('sts:AssumeRole', (r) => assumeRoleReply(String(r.input.RoleArn)))
    .on('monitoring:DescribeAlarms', (r) =>
      json({
        CompositeAlarms: (r.input.AlarmNames as string[]).map((AlarmName) => ({
          AlarmName,
          StateValue: 'OK',
          StateReason: 'all children OK',
          StateUpdatedTimestamp: epoch(new Date('2026-03-01T00:00:00Z')),
        })),
        MetricAlarms: [],
      }),
    )
    .on('monitoring:DescribeAlarmHistory', () => json({ AlarmHistoryItems: [] }))
    .on('ssm:GetParametersByPath', () => json({ Parameters: [] }))
    .on('sns:Publish', () => publishReply());
});

/** A gate with a fresh adapter (so credentials are assumed anew), three attempts per call. */
function gate(now = AFTER_BAKE, requestTimeoutMs = 2000) {
  const port = new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate', maxAttempts: 3, requestTimeoutMs });
  return createGate({ port, settings, now: () => now, log: { info: () => undefined, error: () => undefined } });
}

const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

function approvalResults() {
  return endpoint.calls('codepipeline:PutApprovalResult').map((r) => r.input.result as { status: string; summary: string });
}

/** Only the first `n` calls of an operation get `reply`; later ones fall through to the healthy world. */
function firstCalls(n: number, reply: ReturnType<typeof jsonError>) {
  let left = n;
  return () => (left-- > 0 ? reply : undefined);
}

it('approves a clean bake, assuming each reader role once and reading one alarm per account', async () => {
  const report = await gate()(schedule);
  expect(report.decisions).toMatchObject([{ verdict: 'approve', outcome: 'recorded' }]);
  expect(approvalResults()).toEqual([{ status: 'Approved', summary: expect.stringMatching(/^approved: 1 h bake clean/) }]);
  expect(endpoint.calls('sts:AssumeRole').map((r) => r.input.RoleArn).sort()).toEqual([settings.dev.readerRoleArn, settings.prod.readerRoleArn]);
  expect(endpoint.calls('monitoring:DescribeAlarmHistory')[0].input).toMatchObject({
    AlarmName: 'Dev-Service-Health',
    AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
    HistoryItemType: 'StateUpdate',
    StartDate: epoch(T0),
  });
});

it('retries CloudWatch throttling with backoff, then decides', async () => {
  endpoint.first('monitoring:DescribeAlarms', firstCalls(1, jsonError(400, 'Throttling', 'Rate exceeded', 'Throttling')));
  const report = await gate()(schedule);
  expect(report.decisions).toMatchObject([{ verdict: 'approve', outcome: 'recorded' }]);
  expect(endpoint.calls('monitoring:DescribeAlarms')).toHaveLength(3); // dev twice (throttled, then OK), prod once
});

it('retries a CodePipeline throttle too', async () => {
  endpoint.first('codepipeline:GetPipelineState', firstCalls(2, jsonError(400, 'ThrottlingException', 'Rate exceeded')));
  const report = await gate()(schedule);
  expect(report.decisions).toMatchObject([{ verdict: 'approve' }]);
  expect(endpoint.calls('codepipeline:GetPipelineState')).toHaveLength(3);
});

it('fails closed on a persistent 500: rejects after the retries, saying what failed', async () => {
  // CloudWatch's modelled fault, with its query error code in the header.
  endpoint.first('monitoring:DescribeAlarmHistory', () => jsonError(500, 'InternalServiceFault', 'Internal error', 'InternalServiceError'));
  const report: GateReport = await gate()(schedule);
  expect(endpoint.calls('monitoring:DescribeAlarmHistory')).toHaveLength(3);
  expect(report.decisions).toMatchObject([{ verdict: 'reject', outcome: 'recorded' }]);
  expect(approvalResults()).toEqual([
    {
      status: 'Rejected',
      summary:
        'rejected: cannot read dev alarms: DescribeAlarmHistory Dev-Service-Health in dev (222222222222): InternalServiceFault: Internal error (HTTP 500, 3 attempts)',
    },
  ]);
  expect(endpoint.calls('sns:Publish')[0].input.Message).toContain('InternalServiceFault');
});

it('fails closed when the reader role cannot be assumed (AccessDenied), and does not retry it', async () => {
  endpoint.first('sts:AssumeRole', (r) =>
    r.input.RoleArn === settings.dev.readerRoleArn
      ? xmlError(
          403,
          'AccessDenied',
          `User: arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGate/fn is not authorized to perform: sts:AssumeRole on resource: ${settings.dev.readerRoleArn}`,
          STS_NS,
        )
      : undefined,
  );
  await gate()(schedule);
  expect(endpoint.calls('sts:AssumeRole').filter((r) => r.input.RoleArn === settings.dev.readerRoleArn)).toHaveLength(1);
  expect(approvalResults()).toEqual([
    {
      status: 'Rejected',
      summary: `rejected: cannot read dev alarms: AssumeRole ${settings.dev.readerRoleArn}: AccessDenied: User: arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGate/fn is not authorized to perform: sts:AssumeRole on resource: ${settings.dev.readerRoleArn} (HTTP 403, 1 attempt)`,
    },
  ]);
});

it('fails closed when CloudWatch does not answer in time', async () => {
  endpoint.first('monitoring:DescribeAlarms', (r) => ((r.input.AlarmNames as string[])[0] === 'Prod-Service-Health' ? 'hang' : undefined));
  await gate(AFTER_BAKE, 200)(schedule);
  expect(endpoint.calls('monitoring:DescribeAlarms').filter((r) => (r.input.AlarmNames as string[])[0] === 'Prod-Service-Health')).toHaveLength(3);
  expect(approvalResults()).toEqual([
    { status: 'Rejected', summary: expect.stringMatching(/^rejected: cannot read prod health: DescribeAlarms in prod \(333333333333\): TimeoutError: /) },
  ]);
});

it('treats an approval CodePipeline already closed as done, and announces nothing', async () => {
  endpoint.first('codepipeline:PutApprovalResult', () => jsonError(400, 'ApprovalAlreadyCompletedException', 'The approval action has already been completed'));
  const event = {
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    account: '222222222222',
    detail: { alarmName: 'Dev-Service-Health', state: { value: 'ALARM', reason: '5xx', timestamp: '2026-03-10T10:42:07.000+0000' } },
  };
  const report = await gate()(event);
  expect(report.decisions).toMatchObject([{ verdict: 'reject', outcome: 'already-decided' }]);
  expect(endpoint.calls('sns:Publish')).toHaveLength(0);
});
