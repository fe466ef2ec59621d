/**
 * On-call with prod in waves: `stop` and `resume` close and open every wave's door, `rollback` needs `--wave` and
 * rolls back only that wave's stage, `status` reports each wave and each target.
 */
import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  EnableStageTransitionCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  RollbackStageCommand,
} from '@aws-sdk/client-codepipeline';
import { DescribeAlarmsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { QueryCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { PipelineManifestDocument } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import type { StatusReport } from '../cli/commands/status';
import { CALLER_ARN, EXECUTIONS, MANIFEST, MANIFEST_PARAMETER, clearTollgateEnv, manifestReply, pipelineState, run } from './cli-fixture';

const codePipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);
const cloudWatch = mockClient(CloudWatchClient);
const dynamo = mockClient(DynamoDBClient);

const WAVES = ['Prod-us-east-1', 'Prod-Wave2'];
const target = (name: string, region: string) => ({
  name,
  account: '333333333333',
  region,
  healthAlarmName: `${name.replace(/^prod/, 'Prod')}-Service-Health`,
  otherAlarmNames: [],
  readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader',
});
/** The default app's manifest with prod as two waves: us-east-1 alone, then us-west-2 and eu-west-1. */
const WAVES_MANIFEST: PipelineManifestDocument = {
  ...MANIFEST,
  stages: [...MANIFEST.stages.filter((s) => s !== 'Prod'), ...WAVES],
  promotionStages: WAVES,
  gateActions: [
    MANIFEST.gateActions[0],
    { kind: 'bake', stage: WAVES[0], action: 'ProdBake', environments: ['prod-us-east-1'], minutes: 120 },
    { kind: 'entry-check', stage: WAVES[0], action: 'EntryCheck', environments: ['prod-us-east-1'] },
    { kind: 'bake', stage: WAVES[1], action: 'ProdBake', environments: ['prod-us-west-2', 'prod-eu-west-1'], minutes: 30 },
    { kind: 'entry-check', stage: WAVES[1], action: 'EntryCheck', environments: ['prod-us-west-2', 'prod-eu-west-1'] },
  ],
  environments: [MANIFEST.environments[0], target('prod-us-east-1', 'us-east-1'), target('prod-us-west-2', 'us-west-2'), target('prod-eu-west-1', 'eu-west-1')],
};

/** The default pipeline's state with Prod replaced by the two waves, both having run e2. */
function wavesState() {
  const state = pipelineState();
  const prod = state.stageStates!.find((s) => s.stageName === 'Prod')!;
  state.stageStates = [...state.stageStates!.filter((s) => s !== prod), ...WAVES.map((stageName) => ({ ...prod, stageName }))];
  return state;
}

beforeEach(() => {
  clearTollgateEnv();
  for (const m of [codePipeline, ssm, sts, sns, cloudWatch, dynamo]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAOPERATOR', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2099-01-01T00:00:00Z') } });
  codePipeline.on(GetPipelineStateCommand).resolves(wavesState());
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: EXECUTIONS });
  codePipeline.on(GetPipelineExecutionCommand).callsFake(({ pipelineExecutionId }) => ({ pipelineExecution: { pipelineExecutionId, pipelineVersion: 7, status: 'Succeeded' } }));
  codePipeline.on(RollbackStageCommand).resolves({ pipelineExecutionId: 'r9' });
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply(WAVES_MANIFEST));
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  dynamo.on(QueryCommand).resolves({ Items: [] });
  cloudWatch.on(DescribeAlarmsCommand).callsFake(({ AlarmNames }) => ({
    CompositeAlarms: AlarmNames.map((name: string) => ({ AlarmName: name, StateValue: name === 'Prod-eu-west-1-Service-Health' ? 'ALARM' : 'OK' })),
  }));
});

describe('stop and resume', () => {
  test('stop closes the door of every wave, so no build moves on from one wave to the next either', async () => {
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand).map((c) => [c.args[0].input.stageName, c.args[0].input.transitionType])).toEqual([
      ['Prod-us-east-1', 'Inbound'],
      ['Prod-Wave2', 'Inbound'],
    ]);
    expect(result.out).toContain('  done      disable the transitions into Prod-us-east-1, Prod-Wave2: disabled');
  });

  test('resume opens them all again, once the halt flag is cleared', async () => {
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand).map((c) => c.args[0].input.stageName)).toEqual(WAVES);
  });
});

describe('rollback', () => {
  test('without --wave it names the waves and changes nothing (exit 2)', async () => {
    const result = await run('rollback', '--reason', 'slow', '--yes');
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tollgate: prod is released in 2 waves (Prod-us-east-1, Prod-Wave2): say which to roll back with --wave 1..2; nothing was changed']);
    expect(codePipeline.commandCalls(RollbackStageCommand)).toEqual([]);
  });

  test('--wave 2 rolls back that wave\'s stage only', async () => {
    const result = await run('rollback', '--reason', 'eu-west-1 errors', '--wave', '2', '--yes');
    expect(result.err).toEqual([]);
    expect(codePipeline.commandCalls(RollbackStageCommand).map((c) => c.args[0].input.stageName)).toEqual(['Prod-Wave2']);
  });

  test.each([
    [['--wave', '3'], 'tollgate: --wave must be a wave of prod from 1 to 2, got 3; nothing was changed'],
    [['--wave', 'two'], 'tollgate: --wave must be a whole number from 1 to 20, got "two"'],
  ])('%j is refused in one line, exit 2, nothing rolled back', async (args, line) => {
    const result = await run('rollback', '--reason', 'slow', '--yes', ...args);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([line]);
    expect(codePipeline.commandCalls(RollbackStageCommand)).toEqual([]);
  });
});

test('status reports every wave with its stage and each target\'s health', async () => {
  const result = await run('status', '--json');
  const report = (JSON.parse(result.stdout) as { result: StatusReport }).result;
  expect(report.waves).toEqual([
    { wave: 1, stage: 'Prod-us-east-1', status: 'Succeeded', targets: [{ environment: 'prod-us-east-1', account: '333333333333', region: 'us-east-1', health: 'OK' }] },
    {
      wave: 2,
      stage: 'Prod-Wave2',
      status: 'Succeeded',
      targets: [
        { environment: 'prod-us-west-2', account: '333333333333', region: 'us-west-2', health: 'OK' },
        { environment: 'prod-eu-west-1', account: '333333333333', region: 'eu-west-1', health: 'ALARM' },
      ],
    },
  ]);
  const text = await run('status');
  expect(text.out.slice(text.out.indexOf('Prod waves'), text.out.indexOf('Prod waves') + 6)).toEqual([
    'Prod waves',
    '  wave 1  Prod-us-east-1  Succeeded',
    '    prod-us-east-1 (333333333333 us-east-1): OK',
    '  wave 2  Prod-Wave2  Succeeded',
    '    prod-us-west-2 (333333333333 us-west-2): OK',
    '    prod-eu-west-1 (333333333333 eu-west-1): ALARM',
  ]);
});
