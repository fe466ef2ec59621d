/**
 * The commands act on the pipeline the manifest describes, not on names of their own: a pipeline whose promotion
 * stage is `Production`, whose bakes are `Staging/Bake` and `Production/Soak` and whose environments have other
 * alarms; a pipeline releasing prod in waves. And a pipeline without a manifest (deployed before them), or with an
 * unreadable one.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  EnableStageTransitionCommand,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  GetPipelineStateOutput,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  RollbackStageCommand,
} from '@aws-sdk/client-codepipeline';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, GetParametersByPathCommand, ParameterNotFound, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { StatusReport } from '../cli/commands/status';
import { PipelineManifestDocument } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { CALLER_ARN, EXECUTIONS, MANIFEST, MANIFEST_PARAMETER, NOW, clearTollgateEnv, manifestReply, pipelineState, run } from './cli-fixture';

const codePipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);
const cloudWatch = mockClient(CloudWatchClient);
const dynamodb = mockClient(DynamoDBClient);

const [e3, e2] = EXECUTIONS.map((e) => e.pipelineExecutionId!);
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

/** Another team's pipeline: Staging before Production, a soak instead of a prod bake, a gate check at the door. */
const OTHER: PipelineManifestDocument = {
  ...MANIFEST,
  stages: ['Source', 'Build', 'UpdatePipeline', 'Assets', 'Staging', 'Production'],
  promotionStages: ['Production'],
  gateActions: [
    { kind: 'bake', stage: 'Staging', action: 'Bake', environments: ['staging'], minutes: 45 },
    { kind: 'bake', stage: 'Production', action: 'Soak', environments: ['production'], minutes: 20 },
    { kind: 'entry-check', stage: 'Production', action: 'Gate', environments: ['production'] },
  ],
  environments: [
    { ...MANIFEST.environments[0], name: 'staging', healthAlarmName: 'Staging-Health', otherAlarmNames: ['Staging-Queue-Depth'] },
    { ...MANIFEST.environments[1], name: 'production', healthAlarmName: 'Production-Health' },
  ],
  alarmLatencyMinutes: 5,
  releaseTopic: { name: 'other-topic', arn: 'arn:aws:sns:us-east-1:111111111111:other-topic' },
  gateStateTableName: 'Other-GateState',
};

/** `e3` baking in Staging/Bake for 20 min, `e2` soaking in Production/Soak for 12 min, and a manual check in Production that is no gate's. */
function otherState(): GetPipelineStateOutput {
  const pending = (token: string, since: number) => ({ status: 'InProgress' as const, token, lastStatusChange: minutesAgo(since) });
  return {
    pipelineName: 'Tollgate',
    pipelineVersion: 7,
    stageStates: [
      { stageName: 'Source', latestExecution: { pipelineExecutionId: e3, status: 'Succeeded' } },
      { stageName: 'Build', latestExecution: { pipelineExecutionId: e3, status: 'Succeeded' } },
      { stageName: 'Staging', latestExecution: { pipelineExecutionId: e3, status: 'InProgress' }, inboundTransitionState: { enabled: true }, actionStates: [{ actionName: 'Bake', latestExecution: pending('token-staging', 20) }] },
      {
        stageName: 'Production',
        latestExecution: { pipelineExecutionId: e2, status: 'InProgress' },
        inboundTransitionState: { enabled: true },
        actionStates: [
          { actionName: 'Soak', latestExecution: pending('token-soak', 12) },
          { actionName: 'ManualCheck', latestExecution: pending('token-manual', 5) },
        ],
      },
    ],
  };
}

beforeEach(() => {
  clearTollgateEnv();
  for (const m of [codePipeline, ssm, sts, sns, cloudWatch, dynamodb]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAOPERATOR', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2099-01-01T00:00:00Z') } });
  codePipeline.on(GetPipelineStateCommand).resolves(otherState());
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: EXECUTIONS });
  codePipeline.on(PutApprovalResultCommand).resolves({});
  codePipeline.on(DisableStageTransitionCommand).resolves({});
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply(OTHER));
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  cloudWatch.on(DescribeAlarmsCommand).callsFake(({ AlarmNames }) => ({ CompositeAlarms: [{ AlarmName: AlarmNames[0], StateValue: 'OK' }] }));
  dynamodb.on(QueryCommand).resolves({ Items: [] });
});

describe('a pipeline whose promotion stage is Production and whose prod bake is Soak', () => {
  test('stop closes the entrance of Production, rejects both bakes (the soak rolls Production back) and announces it on the manifest\'s topic', async () => {
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand).map((c) => [c.args[0].input.stageName, c.args[0].input.transitionType])).toEqual([['Production', 'Inbound']]);
    expect(codePipeline.commandCalls(PutApprovalResultCommand).map((c) => `${c.args[0].input.stageName}/${c.args[0].input.actionName} ${c.args[0].input.token}`)).toEqual([
      'Staging/Bake token-staging',
      'Production/Soak token-soak',
      'Production/ManualCheck token-manual',
    ]);
    expect(result.out).toEqual(
      expect.arrayContaining([
        'Stopping releases to Production of pipeline Tollgate (account 111111111111, us-east-1) as arn:aws:sts::111111111111:assumed-role/OnCall/alice@example.com',
        '  done      disable the transition into Production: disabled',
        '              rejected Staging/Bake',
        '              rejected Production/Soak, the production bake: Production fails and rolls back to the last successful release',
        '              rejected Production/ManualCheck',
        'Releases to Production are stopped: nothing reaches Production until `tollgate resume --reason "..."`.',
      ]),
    );
    expect(sns.commandCalls(PublishCommand).map((c) => [c.args[0].input.TopicArn, c.args[0].input.Subject])).toEqual([
      ['arn:aws:sns:us-east-1:111111111111:other-topic', 'Tollgate Tollgate: releases to Production stopped'],
    ]);
  });

  test('stop refuses, changing nothing, when the live pipeline has no stage the manifest names', async () => {
    ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply({ ...OTHER, stages: [...OTHER.stages, 'Prod'], promotionStages: ['Prod'] }));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tollgate: pipeline Tollgate has no stage named Prod; nothing was changed']);
    expect(ssm.commandCalls(PutParameterCommand)).toEqual([]);
  });

  test('status reports the bakes with the manifest\'s minutes, Production as the promotion stage, and the manifest\'s alarms and table', async () => {
    const result = await run('status', '--json');
    expect(result.err).toEqual([]);
    const report = (JSON.parse(result.stdout) as { result: StatusReport }).result;
    expect(report.prodStageName).toBe('Production');
    expect(report.bake.map((b) => [b.stage, b.action, b.kind, b.bakeMinutes, b.minutesLeft])).toEqual([
      ['Staging', 'Bake', 'dev bake', 45, 25],
      ['Production', 'Soak', 'prod bake', 20, 8],
    ]);
    // The soak ends 8 min from now; the gate approves 5 min (the manifest's alarm latency) after that.
    expect(report.bake[1].earliestApprovalAt).toBe('2026-11-22T10:43:00Z');
    expect(report.alarms.map((a) => [a.name, a.account])).toEqual([
      ['Staging-Health', '222222222222'],
      ['Staging-Queue-Depth', '222222222222'],
      ['Production-Health', '333333333333'],
    ]);
    expect(dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input.TableName)).toEqual(['Other-GateState']);
  });
});

describe('a pipeline without a usable manifest', () => {
  test('none (deployed before manifests): a one-line warning, then the names pipelines had before', async () => {
    ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    codePipeline.on(GetPipelineStateCommand).resolves(pipelineState({ prodBaking: true }));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(result.err).toEqual([
      'warning: pipeline Tollgate has no manifest (/tollgate-manifest/Tollgate): using the names of a pipeline from before manifests (promotion stage Prod, bakes Dev/Bake and Prod/ProdBake); redeploy the pipeline stack (`npx cdk deploy <pipeline stack>`, or push to let the pipeline update itself)',
    ]);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand).map((c) => c.args[0].input.stageName)).toEqual(['Prod']);
    expect(result.out).toContain('              rejected Prod/ProdBake, the prod bake: Prod fails and rolls back to the last successful release');
  });

  test('an unreadable one: one line naming the field, exit 2, nothing changed', async () => {
    ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply({ ...OTHER, schemaVersion: 3 } as unknown as PipelineManifestDocument));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: unreadable pipeline manifest: invalid configuration: manifest.schemaVersion must be one of 2, got 3 (from /tollgate-manifest/Tollgate); redeploy the pipeline stack (`npx cdk deploy <pipeline stack>`, or push to let the pipeline update itself), or upgrade tollgate if the pipeline\'s is newer; nothing was changed',
    ]);
    expect(ssm.commandCalls(PutParameterCommand)).toEqual([]);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand)).toEqual([]);
  });
});

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

describe('prod in two waves: us-east-1 alone, then us-west-2 and eu-west-1', () => {
  beforeEach(() => {
    codePipeline.on(GetPipelineStateCommand).resolves(wavesState());
    codePipeline.on(GetPipelineExecutionCommand).callsFake(({ pipelineExecutionId }) => ({ pipelineExecution: { pipelineExecutionId, pipelineVersion: 7, status: 'Succeeded' } }));
    codePipeline.on(RollbackStageCommand).resolves({ pipelineExecutionId: 'r9' });
    codePipeline.on(EnableStageTransitionCommand).resolves({});
    ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply(WAVES_MANIFEST));
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
});
