/**
 * The commands act on the pipeline the manifest describes, not on names of their own: a pipeline whose promotion
 * stage is `Production`, whose bakes are `Staging/Bake` and `Production/Soak` and whose environments have other
 * alarms. And a pipeline without a manifest (deployed before them), or with an unreadable one.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  GetPipelineStateCommand,
  GetPipelineStateOutput,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
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
