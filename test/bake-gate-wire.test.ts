/**
 * The gate over the wire: the real adapter and SDK clients against a local endpoint speaking each AWS
 * protocol, so that retries with backoff, timeouts, pagination and the parsing of each protocol's answers and
 * errors really run. A failure the retries do not cure waits (retrying) until it has lasted the tolerance,
 * then rejects, saying what failed.
 */
import { AwsGateAdapter } from '@tollgate/constructs/lib/lambdas/bake-gate/adapter';
import { createGate } from '@tollgate/constructs/lib/lambdas/bake-gate/index';
import { calendarReleaseWindow } from '@tollgate/constructs/lib/lambdas/bake-gate/release-window';
import { DEFAULT_CALENDAR_SETTINGS } from '@tollgate/constructs/lib/domain/release-calendar';
import { gateSettings, serveBakingPipeline } from './bake-gate-fixtures';
import {
  assumeRoleReply,
  CLOUDFORMATION_NS,
  epoch,
  FakeAwsEndpoint,
  json,
  jsonError,
  publishReply,
  RecordedRequest,
  STS_NS,
  xml,
  xmlError,
} from './fake-aws-endpoint';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
/** The dev bake (60 min) is over and the alarms' latency (3 min) has passed. */
const AFTER_DEV_BAKE = at(64);
const TABLE = 'tollgate-bake-gate-state';

const settings = gateSettings();
const [dev, prod] = settings.environments;

const endpoint = new FakeAwsEndpoint();
const savedEnv = { ...process.env };

/** What the accounts hold beyond a healthy default, set per test. */
let stateHistory: Map<string, object[]>;
/** The account-wide ConfigurationUpdate history, page by page. */
let configurationPages: object[][];
/** The gate's state table partition. */
let stateItems: object[];

beforeAll(async () => {
  const url = await endpoint.start();
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' });
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  process.env = savedEnv;
  await endpoint.stop();
});

/** Every watched health alarm is a composite over two metric alarms, as CloudWatch answers for it. */
function describeAlarms(r: RecordedRequest) {
  const names = (r.input.AlarmNames as string[] | undefined) ?? [];
  // Without AlarmTypes, DescribeAlarms returns metric alarms only (API reference).
  const types = (r.input.AlarmTypes as string[] | undefined) ?? ['MetricAlarm'];
  const composites = names.map((AlarmName) => {
    const prefix = AlarmName.split('-')[0];
    return {
      AlarmName,
      AlarmArn: `arn:aws:cloudwatch:us-east-1:222222222222:alarm:${AlarmName}`,
      ActionsEnabled: true,
      AlarmRule: `ALARM("${prefix}-Api-5xx") OR ALARM(arn:aws:cloudwatch:us-east-1:222222222222:alarm:${prefix}-Api-Latency)`,
      StateValue: 'OK',
      StateReason: 'all children OK',
      StateUpdatedTimestamp: epoch(at(-300)),
      StateTransitionedTimestamp: epoch(at(-300)),
    };
  });
  return json({ CompositeAlarms: types.includes('CompositeAlarm') ? composites : [], MetricAlarms: [] });
}

/** StateUpdate history by alarm name; ConfigurationUpdate history account-wide, paginated with NextToken. */
function describeAlarmHistory(r: RecordedRequest) {
  if (r.input.HistoryItemType === 'ConfigurationUpdate' && r.input.AlarmName === undefined) {
    const page = Number(r.input.NextToken ?? 0);
    return json({ AlarmHistoryItems: configurationPages[page] ?? [], NextToken: page + 1 < configurationPages.length ? String(page + 1) : undefined });
  }
  if (r.input.HistoryItemType === 'StateUpdate') return json({ AlarmHistoryItems: stateHistory.get(String(r.input.AlarmName)) ?? [] });
  return undefined;
}

/** A synthetic check result every minute of the asked range, for every query. */
function getMetricData(r: RecordedRequest) {
  const start = Number(r.input.StartTime);
  const end = Number(r.input.EndTime);
  const timestamps: number[] = [];
  for (let t = start; t < end; t += 60) timestamps.push(t);
  const queries = r.input.MetricDataQueries as { Id: string }[];
  return json({ MetricDataResults: queries.map(({ Id }) => ({ Id, Label: Id, StatusCode: 'Complete', Timestamps: timestamps, Values: timestamps.map(() => 1) })), Messages: [] });
}

function describeStacks(r: RecordedRequest) {
  const name = String(r.input.StackName);
  return xml(
    'DescribeStacks',
    `<Stacks><member><StackName>${name}</StackName><StackId>arn:aws:cloudformation:us-east-1:222222222222:stack/${name}/1</StackId>` +
      `<CreationTime>2026-01-05T08:00:00Z</CreationTime><LastUpdatedTime>${at(-180).toISOString()}</LastUpdatedTime><StackStatus>UPDATE_COMPLETE</StackStatus></member></Stacks>`,
    CLOUDFORMATION_NS,
  );
}

/** A healthy world: everything OK, evidence every minute, no controls set, nothing remembered. */
function healthyWorld(): FakeAwsEndpoint {
  return endpoint
    .on('codepipeline:PutApprovalResult', () => json({ approvedAt: epoch(AFTER_DEV_BAKE) }))
    .on('sts:AssumeRole', (r) => assumeRoleReply(String(r.input.RoleArn)))
    .on('monitoring:DescribeAlarms', describeAlarms)
    .on('monitoring:DescribeAlarmHistory', describeAlarmHistory)
    .on('monitoring:GetMetricData', getMetricData)
    .on('cloudformation:DescribeStacks', describeStacks)
    .on('ssm:GetParametersByPath', () => json({ Parameters: [] }))
    .on('sns:Publish', () => publishReply())
    .on('dynamodb:Query', () => json({ Items: stateItems, Count: stateItems.length, ScannedCount: stateItems.length }))
    .on('dynamodb:PutItem', () => json({}))
    .on('dynamodb:DeleteItem', () => json({}));
}

beforeEach(() => {
  endpoint.reset();
  stateHistory = new Map();
  configurationPages = [[]];
  stateItems = [];
  healthyWorld();
});

/** A gate with a fresh adapter (so credentials are assumed anew), three attempts per call. */
function gate(now: Date, requestTimeoutMs = 2000) {
  const port = new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate', stateTableName: TABLE, maxAttempts: 3, requestTimeoutMs });
  return createGate({ port, settings, now: () => now, log: { info: () => undefined, error: () => undefined } });
}

const schedule = { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} };

function approvalResults() {
  return endpoint.calls('codepipeline:PutApprovalResult').map((r) => ({
    stageName: r.input.stageName,
    actionName: r.input.actionName,
    ...(r.input.result as { status: string; summary: string }),
  }));
}

/** Only the first `n` calls that `reply` answers get its answer; later ones fall through to the healthy world. */
function firstCalls(n: number, reply: ReturnType<typeof jsonError>) {
  let left = n;
  return () => (left-- > 0 ? reply : undefined);
}

const position = (operation: `${RecordedRequest['service']}:${string}`) => endpoint.requests.findIndex((r) => `${r.service}:${r.operation}` === operation);

describe('the prod bake', () => {
  it('rejects when the prod health alarm entered ALARM during it, says the stage rolls back, and pays the announcement', async () => {
    serveBakingPipeline(endpoint, T0, { stage: 'Prod' });
    stateHistory.set('Prod-Service-Health', [
      {
        AlarmName: 'Prod-Service-Health',
        AlarmType: 'CompositeAlarm',
        Timestamp: epoch(at(10)),
        HistoryItemType: 'StateUpdate',
        HistorySummary: 'Alarm updated from OK to ALARM',
        HistoryData: JSON.stringify({
          version: '1.0',
          oldState: { stateValue: 'OK', stateReason: 'all children OK' },
          newState: { stateValue: 'ALARM', stateReason: 'Prod-Api-5xx in ALARM' },
        }),
      },
    ]);

    const report = await gate(at(15))(schedule);

    expect(report.decisions).toMatchObject([{ stageName: 'Prod', verdict: 'reject', outcome: 'recorded' }]);
    expect(approvalResults()).toEqual([
      { stageName: 'Prod', actionName: 'ProdBake', status: 'Rejected', summary: 'rejected: Prod-Service-Health entered ALARM at 10:10:00Z (reason: Prod-Api-5xx in ALARM)' },
    ]);
    expect(endpoint.calls('codepipeline:PutApprovalResult')[0].input.token).toBe('tok-1');
    const [published] = endpoint.calls('sns:Publish');
    expect(published.input.Subject).toMatch(/Prod bake failed, rolling back/);
    const owedKey = { pk: { S: 'gate' }, sk: { S: 'owed#exec-1/Prod/ProdBake/reject' } };
    expect(endpoint.calls('dynamodb:PutItem').map((r) => r.input)).toEqual([
      expect.objectContaining({ TableName: TABLE, Item: expect.objectContaining(owedKey) }),
      expect.objectContaining({ TableName: TABLE, Item: expect.objectContaining({ sk: { S: 'health#last-check' } }) }),
    ]);
    // The decided approval's waiting reason is forgotten, and the announcement paid.
    expect(endpoint.calls('dynamodb:DeleteItem').map((r) => r.input)).toEqual([
      { TableName: TABLE, Key: { pk: { S: 'gate' }, sk: { S: 'waiting#exec-1/Prod/ProdBake' } } },
      { TableName: TABLE, Key: owedKey },
    ]);
    expect(position('codepipeline:PutApprovalResult')).toBeLessThan(position('dynamodb:PutItem'));
    expect(position('dynamodb:PutItem')).toBeLessThan(position('sns:Publish'));
    // Paid only after it was published.
    const paid = endpoint.requests.findIndex((r) => r.operation === 'DeleteItem' && JSON.stringify(r.input).includes('owed#'));
    expect(position('sns:Publish')).toBeLessThan(paid);
  });
});

describe('the dev bake', () => {
  beforeEach(() => serveBakingPipeline(endpoint, T0));

  it('reads the composite health alarm as the real API returns it, asking for both alarm types, and approves', async () => {
    const report = await gate(AFTER_DEV_BAKE)(schedule);
    // Dev and prod are read in parallel: compare in name order. Without AlarmTypes the fake, like CloudWatch,
    // returns no composite alarm, and the gate would find no health alarm.
    const reads = endpoint.calls('monitoring:DescribeAlarms').map((r) => r.input);
    expect(reads.sort((a, b) => String(a.AlarmNames).localeCompare(String(b.AlarmNames)))).toEqual([
      { AlarmNames: ['Dev-Service-Health'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100 },
      { AlarmNames: ['Prod-Service-Health'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100 },
    ]);
    expect(report.decisions).toMatchObject([{ verdict: 'approve', outcome: 'recorded' }]);
    expect(approvalResults()).toEqual([{ stageName: 'Dev', actionName: 'Bake', status: 'Approved', summary: expect.stringMatching(/^approved: 1 h dev bake clean/) }]);
    expect(endpoint.calls('sts:AssumeRole').map((r) => r.input.RoleArn).sort()).toEqual([dev.readerRoleArn, prod.readerRoleArn]);
  });

  it('rejects when a child of the composite was reconfigured, found on the second page of the account-wide history', async () => {
    // Modelled on the DescribeAlarmHistory API reference: ConfigurationUpdate HistoryData is the change as JSON.
    const update = (alarmName: string, minute: number) => ({
      AlarmName: alarmName,
      AlarmType: 'MetricAlarm',
      Timestamp: epoch(at(minute)),
      HistoryItemType: 'ConfigurationUpdate',
      HistorySummary: `Alarm "${alarmName}" updated`,
      HistoryData: JSON.stringify({ type: 'Update', updatedAlarm: { alarmName, threshold: 1000, evaluationPeriods: 5, actionsEnabled: true } }),
    });
    configurationPages = [[update('Billing-Alarm', 5), update('Other-Team-Latency', 8)], [update('Dev-Api-Latency', 20)]];

    await gate(AFTER_DEV_BAKE)(schedule);

    const configurationReads = endpoint.calls('monitoring:DescribeAlarmHistory').filter((r) => r.input.HistoryItemType === 'ConfigurationUpdate');
    expect(configurationReads.map((r) => [r.input.AlarmName, r.input.NextToken])).toEqual([
      [undefined, undefined],
      [undefined, '1'],
    ]);
    expect(approvalResults()).toEqual([
      { stageName: 'Dev', actionName: 'Bake', status: 'Rejected', summary: 'rejected: Dev-Api-Latency changed at 10:20:00Z during the bake (Alarm "Dev-Api-Latency" updated)' },
    ]);
  });

  it('retries CloudWatch throttling with backoff, then decides', async () => {
    endpoint.first('monitoring:DescribeAlarms', firstCalls(1, jsonError(400, 'Throttling', 'Rate exceeded', 'Throttling')));
    const report = await gate(AFTER_DEV_BAKE)(schedule);
    expect(report.decisions).toMatchObject([{ verdict: 'approve', outcome: 'recorded' }]);
    expect(endpoint.calls('monitoring:DescribeAlarms')).toHaveLength(3); // one throttled, then dev and prod
  });

  it('retries a CodePipeline throttle too', async () => {
    endpoint.first('codepipeline:GetPipelineState', firstCalls(2, jsonError(400, 'ThrottlingException', 'Rate exceeded')));
    const report = await gate(AFTER_DEV_BAKE)(schedule);
    expect(report.decisions).toMatchObject([{ verdict: 'approve' }]);
    expect(endpoint.calls('codepipeline:GetPipelineState')).toHaveLength(3);
  });

  describe('a persistent 500', () => {
    const fault = (r: RecordedRequest) =>
      r.input.HistoryItemType === 'StateUpdate' ? jsonError(500, 'InternalServiceFault', 'Internal error', 'InternalServiceError') : undefined;
    const error = 'DescribeAlarmHistory Dev-Service-Health in dev (222222222222): InternalServiceFault: Internal error (HTTP 500, 3 attempts)';

    it('waits on the first invocation, retrying, and records since when the read fails', async () => {
      endpoint.first('monitoring:DescribeAlarmHistory', fault);
      const report = await gate(AFTER_DEV_BAKE)(schedule);
      expect(endpoint.calls('monitoring:DescribeAlarmHistory').filter((r) => r.input.HistoryItemType === 'StateUpdate')).toHaveLength(3);
      expect(report.decisions).toEqual([
        expect.objectContaining({ verdict: 'wait', summary: `waiting: cannot read dev, retrying (rejects after 5 min): ${error}` }),
      ]);
      expect(approvalResults()).toEqual([]);
      expect(endpoint.calls('dynamodb:PutItem').map((r) => r.input)).toEqual([
        // Why it waits, on record for `tollgate status`, then since when the read fails, then the completed check.
        expect.objectContaining({ TableName: TABLE, Item: expect.objectContaining({ sk: { S: 'waiting#exec-1/Dev/Bake' }, summary: { S: `waiting: cannot read dev, retrying (rejects after 5 min): ${error}` } }) }),
        { TableName: TABLE, Item: { pk: { S: 'gate' }, sk: { S: 'failure#environment:dev' }, since: { S: AFTER_DEV_BAKE.toISOString() } } },
        { TableName: TABLE, Item: { pk: { S: 'gate' }, sk: { S: 'health#last-check' }, at: { S: AFTER_DEV_BAKE.toISOString() } } },
      ]);
    });

    it('rejects once the recorded failure is older than the tolerance, saying what failed', async () => {
      endpoint.first('monitoring:DescribeAlarmHistory', fault);
      stateItems = [{ pk: { S: 'gate' }, sk: { S: 'failure#environment:dev' }, since: { S: new Date(AFTER_DEV_BAKE.getTime() - 6 * MIN).toISOString() } }];
      const report = await gate(AFTER_DEV_BAKE)(schedule);
      expect(report.decisions).toMatchObject([{ verdict: 'reject', outcome: 'recorded' }]);
      expect(approvalResults()).toEqual([{ stageName: 'Dev', actionName: 'Bake', status: 'Rejected', summary: `rejected: cannot read dev for 6 min: ${error}` }]);
      expect(endpoint.calls('sns:Publish')[0].input.Message).toContain('InternalServiceFault');
      expect(endpoint.calls('dynamodb:PutItem').filter((r) => (r.input.Item as { sk: { S: string } }).sk.S.startsWith('failure#'))).toEqual([]);
    });
  });

  it('waits, retrying, when CloudWatch does not answer in time', async () => {
    endpoint.first('monitoring:DescribeAlarms', (r) => ((r.input.AlarmNames as string[])[0] === 'Prod-Service-Health' ? 'hang' : undefined));
    const report = await gate(AFTER_DEV_BAKE, 200)(schedule);
    expect(endpoint.calls('monitoring:DescribeAlarms').filter((r) => (r.input.AlarmNames as string[])[0] === 'Prod-Service-Health')).toHaveLength(3);
    expect(report.decisions).toEqual([
      expect.objectContaining({ verdict: 'wait', summary: expect.stringMatching(/^waiting: cannot read prod health, retrying .*DescribeAlarms in prod \(333333333333\): TimeoutError: /) }),
    ]);
    expect(approvalResults()).toEqual([]);
  });

  it('treats an approval CodePipeline already closed as done, and announces nothing', async () => {
    endpoint.first('codepipeline:PutApprovalResult', () => jsonError(400, 'ApprovalAlreadyCompletedException', 'The approval action has already been completed'));
    const event = {
      source: 'aws.cloudwatch',
      'detail-type': 'CloudWatch Alarm State Change',
      account: '222222222222',
      detail: { alarmName: 'Dev-Service-Health', state: { value: 'ALARM', reason: '5xx', timestamp: '2026-03-10T10:42:07.000+0000' } },
    };
    const report = await gate(AFTER_DEV_BAKE)(event);
    expect(report.decisions).toMatchObject([{ verdict: 'reject', outcome: 'already-decided' }]);
    expect(endpoint.calls('sns:Publish')).toHaveLength(0);
  });
});

it('approves a dev bake when prod was never deployed and its reader role cannot be assumed yet (AccessDenied)', async () => {
  serveBakingPipeline(endpoint, T0, { prodRan: false });
  endpoint.first('sts:AssumeRole', (r) =>
    r.input.RoleArn === prod.readerRoleArn
      ? xmlError(403, 'AccessDenied', `User: arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGate/fn is not authorized to perform: sts:AssumeRole on resource: ${prod.readerRoleArn}`, STS_NS)
      : undefined,
  );
  await gate(AFTER_DEV_BAKE)(schedule);
  expect(endpoint.calls('sts:AssumeRole').filter((r) => r.input.RoleArn === prod.readerRoleArn)).toHaveLength(1);
  expect(approvalResults()).toEqual([{ stageName: 'Dev', actionName: 'Bake', status: 'Approved', summary: expect.stringContaining('prod not deployed yet') }]);
});

describe('run-time controls over the wire', () => {
  beforeEach(() => serveBakingPipeline(endpoint, T0));
  const OPERATOR = 'arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice';
  /** The override of the baking execution, written by `writer`, as GetParametersByPath and DescribeParameters answer. */
  function serveOverride(executionId: string, writer: string, expiresAt: string) {
    const Name = `/tollgate/Tollgate/override/${executionId}`;
    const Value = JSON.stringify({ reason: 'hotfix', by: 'arn:aws:sts::111111111111:assumed-role/OnCall/alice', at: '2026-03-10T06:50:00-04:00', expiresAt });
    endpoint.first('ssm:GetParametersByPath', () => json({ Parameters: [{ Name, Type: 'String', Value, Version: 2 }] }));
    endpoint.on('ssm:DescribeParameters', () =>
      json({ Parameters: [{ Name, ARN: `arn:aws:ssm:us-east-1:111111111111:parameter${Name}`, Type: 'String', LastModifiedUser: writer, LastModifiedDate: epoch(at(50)), Version: 2 }] }),
    );
  }
  /** Before 09:00 in New York on a Tuesday: the calendar is closed when the dev bake ends. */
  const gateWithCalendar = (now: Date) => {
    const port = new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate', stateTableName: TABLE, maxAttempts: 3, requestTimeoutMs: 2000 });
    return createGate({ port, settings, now: () => now, log: { info: () => undefined, error: () => undefined }, releaseWindow: calendarReleaseWindow(DEFAULT_CALENDAR_SETTINGS, 'Tollgate') });
  };
  /** The execution `serveBakingPipeline` bakes. */
  const executionId = 'exec-1';

  it('asks DescribeParameters who wrote the controls, and an unexpired override by the operator role opens the calendar', async () => {
    serveOverride(executionId, OPERATOR, '2026-03-11T06:50:00-04:00');
    const report = await gateWithCalendar(AFTER_DEV_BAKE)(schedule);
    expect(endpoint.calls('ssm:DescribeParameters').map((r) => r.input)).toEqual([{ ParameterFilters: [{ Key: 'Path', Option: 'Recursive', Values: ['/tollgate/Tollgate'] }] }]);
    expect(report.decisions).toMatchObject([{ verdict: 'approve' }]);
    expect(approvalResults()[0].summary).toMatch(/release calendar opened by break-glass override by .* \(expires 2026-03-11T06:50:00-04:00\): hotfix/);
  });

  it('an expired override is ignored, and the summary says so', async () => {
    serveOverride(executionId, OPERATOR, '2026-03-10T07:00:00-04:00');
    const report = await gateWithCalendar(AFTER_DEV_BAKE)(schedule);
    expect(report.decisions).toMatchObject([{ verdict: 'wait', summary: expect.stringContaining(`override of ${executionId} by arn:aws:sts::111111111111:assumed-role/OnCall/alice ignored: it expired at 2026-03-10T07:00:00-04:00`) }]);
    expect(approvalResults()).toEqual([]);
  });

  it('an override written outside the operator role is ignored, and the summary names who wrote it', async () => {
    serveOverride(executionId, 'arn:aws:sts::111111111111:assumed-role/Admin/mallory', '2026-03-11T06:50:00-04:00');
    const report = await gateWithCalendar(AFTER_DEV_BAKE)(schedule);
    expect(report.decisions).toMatchObject([
      { verdict: 'wait', summary: expect.stringContaining(`override of ${executionId} ignored: written by arn:aws:sts::111111111111:assumed-role/Admin/mallory not the operator role`) },
    ]);
    expect(approvalResults()).toEqual([]);
  });
});

describe('an approval decided by someone other than the gate', () => {
  /** GetPipelineState as CodePipeline answers it after alice approved the dev bake in the console. */
  function approvedByHand(): void {
    endpoint.on('codepipeline:GetPipelineState', () =>
      json({
        pipelineName: 'Tollgate',
        stageStates: [
          {
            stageName: 'Dev',
            latestExecution: { pipelineExecutionId: 'exec-1', status: 'Succeeded' },
            actionStates: [
              {
                actionName: 'Bake',
                latestExecution: {
                  actionExecutionId: 'ae-42',
                  status: 'Succeeded',
                  summary: 'looks fine to me',
                  lastStatusChange: epoch(at(12)),
                  lastUpdatedBy: 'arn:aws:sts::111111111111:assumed-role/Admin/alice',
                },
              },
            ],
          },
          { stageName: 'Prod', latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' }, actionStates: [] },
        ],
      }),
    );
  }

  it('is announced on the topic once, and remembered so the next check does not announce it again', async () => {
    approvedByHand();
    const first = await gate(at(13))(schedule);
    expect(first.announced).toEqual(['by-hand/ae-42']);
    const [publish] = endpoint.calls('sns:Publish');
    expect(publish.input).toMatchObject({
      Subject: 'Tollgate Tollgate: Dev/Bake approved by hand, not by the gate',
      Message: expect.stringContaining('Dev/Bake was approved by arn:aws:sts::111111111111:assumed-role/Admin/alice'),
    });
    expect(endpoint.calls('dynamodb:PutItem').map((r) => (r.input.Item as { sk: { S: string } }).sk.S)).toEqual(
      expect.arrayContaining(['seen#by-hand/ae-42', 'owed#by-hand/ae-42']),
    );
    // The next minute the state table remembers it: no second announcement.
    stateItems = [{ pk: { S: 'gate' }, sk: { S: 'seen#by-hand/ae-42' }, expiresAt: { N: '1900000000' } }];
    const second = await gate(at(14))(schedule);
    expect(second.announced).toEqual([]);
    expect(endpoint.calls('sns:Publish')).toHaveLength(1);
  });
});
