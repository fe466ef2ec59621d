import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient, GetPipelineStateCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { AttributeValue, DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { StatusReport } from '../cli/commands/status';
import { expectGolden } from './golden';
import { CALLER_ARN, clearTollgateEnv, EXECUTIONS, MANIFEST, MANIFEST_PARAMETER, NOW, manifestReply, pipelineState, run, stageIn } from './cli-fixture';

const codePipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const cloudWatch = mockClient(CloudWatchClient);
const dynamodb = mockClient(DynamoDBClient);

/** The gate's health records, as the gate writes them into its state table. */
function gateHealthItems(lastCheckAt: string | undefined, lastError?: { at: string; message: string }): { Items: Record<string, AttributeValue>[] } {
  return {
    Items: [
      ...(lastCheckAt ? [{ pk: { S: 'gate' }, sk: { S: 'health#last-check' }, at: { S: lastCheckAt } }] : []),
      ...(lastError ? [{ pk: { S: 'gate' }, sk: { S: 'health#last-error' }, at: { S: lastError.at }, message: { S: lastError.message } }] : []),
    ],
  };
}

const halt = { halted: true, reason: 'incident 42', by: CALLER_ARN, at: '2026-11-22T10:00:00Z' };
const freezes = [
  { name: 'year-end', reason: 'holidays', by: CALLER_ARN, at: '2026-11-01T00:00:00Z', start: '2026-11-20T00:00:00Z', end: '2027-01-04T14:00:00Z' },
  { name: 'over', reason: 'done', by: CALLER_ARN, at: '2026-10-01T00:00:00Z', end: '2026-10-02T00:00:00Z' },
  { name: 'later', reason: 'launch', by: CALLER_ARN, at: '2026-11-01T00:00:00Z', start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z' },
];

beforeEach(() => {
  clearTollgateEnv();
  for (const m of [codePipeline, ssm, sts, cloudWatch, dynamodb]) m.reset();
  dynamodb.on(QueryCommand).resolves(gateHealthItems(new Date(NOW.getTime() - 40_000).toISOString()));
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  // The operator role, then each account's reader role: every environment's health is read.
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAREADER', SecretAccessKey: 's', SessionToken: 't', Expiration: new Date('2099-01-01T00:00:00Z') } });
  cloudWatch.on(DescribeAlarmsCommand).resolves({ CompositeAlarms: [{ AlarmName: 'x', StateValue: 'OK' }] });
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState({ prodTransitionDisabled: true }));
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: EXECUTIONS });
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply());
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: [
      { Name: '/tollgate/Tollgate/halt', Value: JSON.stringify(halt) },
      { Name: '/tollgate/Tollgate/freezes', Value: JSON.stringify(freezes) },
    ],
  });
});

async function statusJson(): Promise<StatusReport> {
  const result = await run('status', '--json');
  expect(result.err).toEqual([]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { command: string; result: StatusReport }).result;
}

test('--json reports each stage with its execution and commit', async () => {
  const report = await statusJson();
  expect(report.pipeline).toEqual({ name: 'Tollgate', account: '111111111111', region: 'us-east-1', version: 7, at: '2026-11-22T10:30:00Z' });
  expect(report.stages.map((s) => [s.name, s.status, s.executionId?.slice(0, 2)])).toEqual([
    ['Source', 'Succeeded', 'e3'],
    ['Build', 'Succeeded', 'e3'],
    ['Sandbox', 'Succeeded', 'e3'],
    ['Dev', 'InProgress', 'e3'],
    ['Prod', 'Succeeded', 'e2'],
  ]);
  // The pipeline sandbox's deployment and its integration tests, as their actions.
  expect(report.stages[2].actions.map((a) => [a.name, a.status])).toEqual([['Pipeline-Service.Deploy', 'Succeeded'], ['IntegrationTests', 'Succeeded']]);
  expect(report.stages[3].revision).toMatchObject({ commitId: '3333333333333333333333333333333333333333', message: 'Add the tile cache' });
  expect(report.stages[4].revision).toMatchObject({ message: 'Faster search' });
});

const devBake = {
  stage: 'Dev',
  action: 'Bake',
  kind: 'dev bake',
  executionId: 'e3000000-0000-0000-0000-000000000003',
  startedAt: '2026-11-22T10:10:00Z',
  bakeMinutes: 60,
  endsAt: '2026-11-22T11:10:00Z',
  earliestApprovalAt: '2026-11-22T11:13:00Z',
  minutesLeft: 40,
  gateSummary: 'waiting: 40 min of bake left',
  commit: '3333333',
};

test('the dev bake: time left counts from the start of the gate\'s approval, the alarm latency after it, with the gate\'s own summary', async () => {
  const report = await statusJson();
  expect(report.bake).toEqual([devBake]);
});

test('a build in its prod bake is reported too, with the prod bake\'s own length, as the prod bake', async () => {
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState({ prodBaking: true }));
  const report = await statusJson();
  expect(report.bake).toEqual([
    devBake,
    {
      stage: 'Prod',
      action: 'ProdBake',
      kind: 'prod bake',
      executionId: 'e2000000-0000-0000-0000-000000000002',
      startedAt: '2026-11-22T10:18:00Z',
      bakeMinutes: 30,
      endsAt: '2026-11-22T10:48:00Z',
      earliestApprovalAt: '2026-11-22T10:51:00Z',
      minutesLeft: 18,
      gateSummary: 'waiting: 18 min of prod bake left',
      commit: '2222222',
    },
  ]);
  const result = await run('status');
  expect(result.out).toEqual(
    expect.arrayContaining([
      '           Bake pending: 40 min of 60 min dev bake left (ends 2026-11-22T11:10:00Z); gate: waiting: 40 min of bake left',
      '           ProdBake pending: 18 min of 30 min prod bake left (ends 2026-11-22T10:48:00Z); gate: waiting: 18 min of prod bake left',
    ]),
  );
  // Each bake under its own stage.
  const prodLine = result.out.findIndex((l) => l.startsWith('  Prod '));
  expect(result.out[prodLine + 1]).toMatch(/^\s+ProdBake pending/);
});

test('a bake whose time is over says from when the gate may approve; other approvals are not a bake', async () => {
  const state = pipelineState();
  stageIn(state, 'Dev').actionStates![1].latestExecution!.lastStatusChange = new Date(NOW.getTime() - 75 * 60_000);
  stageIn(state, 'Prod').actionStates!.push({ actionName: 'ManualCheck', latestExecution: { status: 'InProgress', token: 't' } });
  codePipeline.on(GetPipelineStateCommand).resolves(state);
  const result = await run('status');
  expect(result.stdout).toContain('Bake pending: dev bake time over since 2026-11-22T10:15:00Z, the gate approves from 2026-11-22T10:18:00Z (alarm latency)');
  expect(result.stdout).not.toContain('ManualCheck pending');
});

test('the gates: the halt flag with who and why, only the freezes in force, the disabled transition', async () => {
  const report = await statusJson();
  expect(report.gates.halt).toEqual({ state: 'set', value: halt });
  expect(report.gates.activeFreezes.map((f) => f.name)).toEqual(['year-end']);
  expect(report.disabledTransitions).toEqual([
    { stage: 'Prod', enabled: false, reason: 'tollgate stop by alice - incident 42', by: CALLER_ARN, at: '2026-11-22T10:25:00Z' },
  ]);
});

test('the last prod release, and a rollback when Prod last ran one', async () => {
  expect((await statusJson()).prod).toMatchObject({
    latestExecutionId: 'e2000000-0000-0000-0000-000000000002',
    latestStatus: 'Succeeded',
    lastSuccessfulRelease: { executionId: 'e2000000-0000-0000-0000-000000000002', revision: { message: 'Faster search' } },
  });

  const state = pipelineState();
  stageIn(state, 'Prod').latestExecution = { pipelineExecutionId: 'r1', status: 'Succeeded', type: 'ROLLBACK' };
  codePipeline.on(GetPipelineStateCommand).resolves(state);
  codePipeline.on(ListPipelineExecutionsCommand).resolves({
    pipelineExecutionSummaries: [
      { pipelineExecutionId: 'r1', status: 'Succeeded', executionType: 'ROLLBACK', rollbackMetadata: { rollbackTargetPipelineExecutionId: EXECUTIONS[2].pipelineExecutionId } },
      ...EXECUTIONS,
    ],
  });
  const result = await run('status');
  expect(result.stdout).toContain('  latest run:   Succeeded rollback r1');
});

test('every environment\'s health alarms: through the operator role and its reader role in another account, directly in the caller\'s', async () => {
  expect((await statusJson()).alarms).toEqual([
    { name: 'Dev-Service-Health', account: '222222222222', region: 'us-east-1', state: 'OK' },
    { name: 'Prod-Service-Health', account: '333333333333', region: 'us-east-1', state: 'OK' },
  ]);
  expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input.RoleArn)).toEqual([
    'arn:aws:iam::111111111111:role/Tollgate-Operator',
    'arn:aws:iam::222222222222:role/Tollgate-AlarmReader',
    'arn:aws:iam::333333333333:role/Tollgate-AlarmReader',
  ]);

  // A reader role that refuses: that alarm is unknown, named with the role; the rest of the report still comes.
  sts.on(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader' }).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
  const report = await statusJson();
  expect(report.alarms[1].note).toBe('unreadable: cannot assume the reader role arn:aws:iam::333333333333:role/Tollgate-AlarmReader: AccessDenied: not authorized');
  expect(report.details).toContain('Prod-Service-Health unknown: unreadable: cannot assume the reader role arn:aws:iam::333333333333:role/Tollgate-AlarmReader: AccessDenied: not authorized');

  // A small setup with dev in the deployment account (as its manifest says): dev's alarm is read with the caller's own credentials.
  process.env.TOLLGATE_DEV_ACCOUNT = '111111111111';
  process.env.TOLLGATE_SANDBOX_ACCOUNT = '444444444444';
  const [dev, prod] = MANIFEST.environments;
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply({ ...MANIFEST, environments: [{ ...dev, account: '111111111111' }, prod] }));
  cloudWatch.on(DescribeAlarmsCommand, { AlarmNames: ['Dev-Service-Health'] }).resolves({ CompositeAlarms: [{ AlarmName: 'Dev-Service-Health', StateValue: 'ALARM' }] });
  const small = await statusJson();
  expect(small.alarms[0]).toEqual({ name: 'Dev-Service-Health', account: '111111111111', region: 'us-east-1', state: 'ALARM' });
  expect(small.verdict).toBe('Dev-Service-Health in ALARM (account 111111111111)');
});

test('text output: the verdict first, then the details and every section (golden file)', async () => {
  dynamodb.on(QueryCommand).resolves({
    Items: [...gateHealthItems(new Date(NOW.getTime() - 40_000).toISOString()).Items, { pk: { S: 'gate' }, sk: { S: 'waiting#e3000000-0000-0000-0000-000000000003/Dev/Bake' }, summary: { S: 'calendar closed: Sunday' }, at: { S: '2026-11-22T10:29:00Z' } }],
  });
  dynamodb.on(GetItemCommand, { TableName: 'Tollgate-ReleaseRecord' }).resolves({ Item: { version: { S: 'v1.4.17' } } });
  const result = await run('status');
  expect(result.code).toBe(0);
  expect(result.err).toEqual([]);
  expectGolden('status', result.out);
});

test("the last release's version comes from its release record, and is unknown without one or without access", async () => {
  dynamodb.on(GetItemCommand).resolves({ Item: { version: { S: 'v1.4.17' } } });
  expect((await statusJson()).prod.lastSuccessfulRelease?.version).toBe('v1.4.17');
  expect(dynamodb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({ TableName: 'Tollgate-ReleaseRecord', Key: { executionId: { S: 'e2000000-0000-0000-0000-000000000002' } } });
  dynamodb.on(GetItemCommand).resolves({});
  expect((await statusJson()).prod.lastSuccessfulRelease?.version).toBe('unknown');
  dynamodb.on(GetItemCommand).rejects(Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' }));
  const result = await run('status');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('last release: unknown e2000000-0000-0000-0000-000000000002');
});

test('an unreadable halt flag is shown as blocking, and a denied SSM read as unknown, without failing status', async () => {
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [{ Name: '/tollgate/Tollgate/halt', Value: 'yes' }] });
  let result = await run('status');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('halt flag:   UNREADABLE, the gate promotes nothing (control parameter /tollgate/Tollgate/halt is unreadable: not JSON: "yes")');

  ssm.on(GetParametersByPathCommand).rejects(Object.assign(new Error('not authorized to perform: ssm:GetParametersByPath'), { name: 'AccessDeniedException' }));
  result = await run('status');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain('halt flag:   UNKNOWN (AccessDeniedException: not authorized to perform: ssm:GetParametersByPath)');
});

test('no halt flag yet reads "not set"', async () => {
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  expect((await statusJson()).gates.halt).toEqual({ state: 'absent' });
});

describe("the gate's own health", () => {
  test('--json and text show when the gate last completed a check, read from its state table', async () => {
    const report = await statusJson();
    expect(report.gateHealth).toEqual({ lastCheckAt: '2026-11-22T10:29:20Z' });
    expect(dynamodb.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: 'Tollgate-BakeGateState',
      ExpressionAttributeValues: { ':pk': { S: 'gate' }, ':health': { S: 'health#' } },
    });
    const text = await run('status');
    expect(text.stdout).toContain('  bake gate:   last check 2026-11-22T10:29:20Z (40 s ago)');
  });

  test('a gate that stopped checking is called STALLED, with its last error', async () => {
    dynamodb.on(QueryCommand).resolves(
      gateHealthItems(new Date(NOW.getTime() - 17 * 60_000).toISOString(), { at: new Date(NOW.getTime() - 60_000).toISOString(), message: 'GetPipelineState Tollgate: AccessDeniedException' }),
    );
    const text = await run('status');
    expect(text.stdout).toMatch(/bake gate: {3}last check \S+ \(17 min ago\) — STALLED: no check for more than 5 min, pending bakes are not being decided; last error \S+: GetPipelineState Tollgate: AccessDeniedException/);
  });

  test('an unreadable state table says UNKNOWN and the rest of the report still comes', async () => {
    dynamodb.on(QueryCommand).rejects(Object.assign(new Error('not authorized to perform dynamodb:Query'), { name: 'AccessDeniedException' }));
    const report = await statusJson();
    expect(report.gateHealth).toEqual({ error: 'AccessDeniedException: not authorized to perform dynamodb:Query' });
    expect(report.stages).toHaveLength(5);
  });
});
