/**
 * The bake gate's adapter against mocked SDK clients: which calls it makes, with what input, and how it reads
 * each answer (field names as the @aws-sdk/client-* types have them).
 */
import { CloudFormationClient, CloudFormationServiceException, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  ApprovalAlreadyCompletedException,
  CodePipelineClient,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  ListActionExecutionsCommand,
  PipelineNotFoundException,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsGateAdapter, childAlarmNames, ReaderRoleUnavailable } from '@tollgate/constructs/lib/lambdas/bake-gate/adapter';
import type { PendingApproval } from '@tollgate/constructs/lib/lambdas/bake-gate/core';
import { gateSettings } from './bake-gate-fixtures';

const base = gateSettings();
const [devBase, prodBase] = base.environments;
const REQUESTS = { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'abc123', Stage: '$default' } };
const settings = gateSettings({
  environments: [
    { ...devBase, alarmNames: ['Dev-Service-Health', 'Dev-Extra'], evidence: { ...devBase.evidence, requests: { metric: REQUESTS, minimum: 100 } } },
    { ...prodBase, region: 'us-west-2' },
  ],
});

const codePipeline = mockClient(CodePipelineClient);
const cloudWatch = mockClient(CloudWatchClient);
const cloudFormation = mockClient(CloudFormationClient);
const dynamodb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);

const T0 = new Date('2026-03-10T10:00:00Z');
const NOW = new Date('2026-03-10T11:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const TABLE = 'tollgate-bake-gate-state';

beforeAll(() => {
  process.env.AWS_REGION = 'us-east-1';
});

beforeEach(() => {
  for (const mock of [codePipeline, cloudWatch, cloudFormation, dynamodb, sns, sts]) mock.reset();
  sts.on(AssumeRoleCommand).resolves({
    Credentials: { AccessKeyId: 'ASIAFAKE', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(Date.now() + 3600_000) },
  });
});

const adapter = () => new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate-bake', stateTableName: TABLE });

/** An SDK error as the clients throw it for an unmodelled code (STS AccessDenied, CloudFormation ValidationError). */
function awsError(name: string, message: string, httpStatusCode = 400) {
  return new CloudFormationServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode, attempts: 1 } });
}

describe('readPipeline', () => {
  it('finds both bake approvals, each with its own stage and action, and maps every stage', async () => {
    codePipeline.on(GetPipelineStateCommand, { name: 'Tollgate' }).resolves({
      stageStates: [
        {
          stageName: 'Dev',
          latestExecution: { pipelineExecutionId: 'exec-2', status: 'InProgress' },
          actionStates: [
            { actionName: 'Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: at(-5) } },
            { actionName: 'Bake', latestExecution: { status: 'InProgress', token: 'tok-dev', lastStatusChange: at(0) } },
          ],
        },
        {
          stageName: 'Prod',
          latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' },
          actionStates: [
            { actionName: 'Deploy', latestExecution: { status: 'Succeeded', lastStatusChange: at(-20) } },
            { actionName: 'ProdBake', latestExecution: { status: 'InProgress', token: 'tok-prod', lastStatusChange: at(-10) } },
          ],
        },
      ],
    });
    const view = await adapter().readPipeline();
    expect(view.approvals).toEqual([
      { pipelineExecutionId: 'exec-2', token: 'tok-dev', stageName: 'Dev', actionName: 'Bake', bakeStartedAt: at(0) },
      { pipelineExecutionId: 'exec-1', token: 'tok-prod', stageName: 'Prod', actionName: 'ProdBake', bakeStartedAt: at(-10) },
    ]);
    expect(view.stages.get('Dev')).toEqual({
      latestExecutionId: 'exec-2',
      actionChanges: [
        { actionName: 'Deploy', at: at(-5) },
        { actionName: 'Bake', at: at(0) },
      ],
    });
    expect(view.stages.get('Prod')?.latestExecutionId).toBe('exec-1');
  });

  it('reports no approval for bakes already decided, and a stage that never ran as one without an execution', async () => {
    codePipeline.on(GetPipelineStateCommand).resolves({
      stageStates: [
        {
          stageName: 'Dev',
          latestExecution: { pipelineExecutionId: 'exec-1', status: 'Failed' },
          actionStates: [{ actionName: 'Bake', latestExecution: { status: 'Failed', summary: 'rejected: ...', lastStatusChange: at(3) } }],
        },
        { stageName: 'Prod', actionStates: [{ actionName: 'ProdBake' }] },
      ],
    });
    const view = await adapter().readPipeline();
    expect(view.approvals).toEqual([]);
    expect(view.stages.get('Prod')).toEqual({ latestExecutionId: undefined, actionChanges: [{ actionName: 'ProdBake', at: undefined }] });
  });

  it('fails on a pending approval without a token, on a missing bake stage, and says which call failed', async () => {
    codePipeline
      .on(GetPipelineStateCommand)
      .resolvesOnce({
        stageStates: [
          { stageName: 'Dev', latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' }, actionStates: [{ actionName: 'Bake', latestExecution: { status: 'InProgress', lastStatusChange: T0 } }] },
          { stageName: 'Prod' },
        ],
      })
      .resolvesOnce({ stageStates: [{ stageName: 'Dev' }] })
      .rejectsOnce(new PipelineNotFoundException({ message: 'no pipeline Tollgate', $metadata: { httpStatusCode: 400, attempts: 1 } }));
    await expect(adapter().readPipeline()).rejects.toThrow('the pending Dev/Bake approval has no token, start time or execution id');
    await expect(adapter().readPipeline()).rejects.toThrow('pipeline Tollgate has no stage Prod');
    await expect(adapter().readPipeline()).rejects.toThrow('GetPipelineState Tollgate: PipelineNotFoundException: no pipeline Tollgate (HTTP 400, 1 attempt)');
  });
});

describe('readActionRuns', () => {
  it('reads every page of the execution runs', async () => {
    codePipeline
      .on(ListActionExecutionsCommand)
      .resolvesOnce({ actionExecutionDetails: [{ stageName: 'Dev', actionName: 'Deploy', startTime: at(-70), lastUpdateTime: at(-62) }], nextToken: 'p2' })
      .resolvesOnce({ actionExecutionDetails: [{ stageName: 'Dev', actionName: 'Bake', startTime: at(-60), lastUpdateTime: at(0) }] });
    expect(await adapter().readActionRuns('exec-1')).toEqual([
      { stageName: 'Dev', actionName: 'Deploy', startedAt: at(-70), lastUpdatedAt: at(-62) },
      { stageName: 'Dev', actionName: 'Bake', startedAt: at(-60), lastUpdatedAt: at(0) },
    ]);
    // The paginator reuses one input object, so every recorded call shows the last page's token.
    const calls = codePipeline.commandCalls(ListActionExecutionsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input).toMatchObject({ pipelineName: 'Tollgate', filter: { pipelineExecutionId: 'exec-1' }, nextToken: 'p2' });
  });
});

describe('childAlarmNames', () => {
  it('reads quoted names, bare names and ARNs under ALARM, OK and INSUFFICIENT_DATA, once each', () => {
    const rule =
      'ALARM("Dev-Api-5xx") OR ALARM(arn:aws:cloudwatch:us-east-1:222222222222:alarm:Dev-Api-Latency) OR ' +
      '(OK( "Dev Heartbeat" ) AND NOT INSUFFICIENT_DATA(Dev-Queue-Age)) OR ALARM("arn:aws:cloudwatch:us-east-1:222222222222:alarm:Dev-Api-5xx")';
    expect(childAlarmNames(rule)).toEqual(['Dev-Api-5xx', 'Dev-Api-Latency', 'Dev Heartbeat', 'Dev-Queue-Age']);
  });

  it('finds none in a rule of constants', () => {
    expect(childAlarmNames('TRUE')).toEqual([]);
  });
});

describe('readEnvironment', () => {
  const COMPOSITE_RULE = 'ALARM("Dev-Api-5xx") OR ALARM(arn:aws:cloudwatch:us-east-1:222222222222:alarm:Dev-Api-Latency)';
  const stateUpdate = (alarmName: string, minute: number, from: string, to: string, reason = 'threshold crossed') => ({
    AlarmName: alarmName,
    AlarmType: 'CompositeAlarm' as const,
    Timestamp: at(minute),
    HistoryItemType: 'StateUpdate' as const,
    HistorySummary: `Alarm updated from ${from} to ${to}`,
    HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from, stateReason: 'before' }, newState: { stateValue: to, stateReason: reason } }),
  });
  // Modelled on the DescribeAlarmHistory API reference: ConfigurationUpdate items carry the change as JSON.
  const configurationUpdate = (alarmName: string, minute: number) => ({
    AlarmName: alarmName,
    AlarmType: 'MetricAlarm' as const,
    Timestamp: at(minute),
    HistoryItemType: 'ConfigurationUpdate' as const,
    HistorySummary: `Alarm "${alarmName}" updated`,
    HistoryData: JSON.stringify({ type: 'Update', updatedAlarm: { alarmName, threshold: 500, evaluationPeriods: 5, actionsEnabled: true } }),
  });

  function serveDevAlarms(actionsEnabled = true) {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [
        { AlarmName: 'Dev-Service-Health', AlarmRule: COMPOSITE_RULE, StateValue: 'OK', StateReason: 'fine', StateTransitionedTimestamp: at(12), StateUpdatedTimestamp: at(30), ActionsEnabled: actionsEnabled },
      ],
      MetricAlarms: [{ AlarmName: 'Dev-Extra', StateValue: 'OK', StateReason: 'fine', StateUpdatedTimestamp: at(-100), ActionsEnabled: true }],
    });
  }

  function serveBakeReads() {
    serveDevAlarms();
    cloudWatch.on(DescribeAlarmHistoryCommand, { HistoryItemType: 'StateUpdate' }).resolves({ AlarmHistoryItems: [] });
    cloudWatch.on(DescribeAlarmHistoryCommand, { HistoryItemType: 'ConfigurationUpdate' }).resolves({ AlarmHistoryItems: [] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'Dev-Service', CreationTime: at(-5000), LastUpdatedTime: at(-2), StackStatus: 'UPDATE_COMPLETE' }] });
  }

  it("'health' assumes the role and reads the alarms' state only", async () => {
    serveDevAlarms();
    const reading = await adapter().readEnvironment('dev', 'health', T0, NOW);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: 'arn:aws:iam::222222222222:role/Tollgate-AlarmReader', RoleSessionName: 'tollgate-bake-gate', DurationSeconds: 3600 },
    ]);
    expect(cloudWatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmNames: ['Dev-Service-Health', 'Dev-Extra'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], MaxRecords: 100 },
    ]);
    expect(cloudWatch.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(0);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(reading).toEqual({
      alarms: [
        { name: 'Dev-Service-Health', state: 'OK', reason: 'fine', since: at(12), actionsEnabled: true, changes: [] },
        { name: 'Dev-Extra', state: 'OK', reason: 'fine', since: at(-100), actionsEnabled: true, changes: [] },
      ],
      configurationChanges: [],
    });
  });

  it("'bake' reads each alarm's state history, the account's configuration history once, the evidence and the stack", async () => {
    serveBakeReads();
    cloudWatch
      .on(DescribeAlarmHistoryCommand, { AlarmName: 'Dev-Service-Health', HistoryItemType: 'StateUpdate' })
      .resolvesOnce({ AlarmHistoryItems: [stateUpdate('Dev-Service-Health', 10, 'OK', 'ALARM', '5xx')], NextToken: 'page2' })
      .resolvesOnce({ AlarmHistoryItems: [stateUpdate('Dev-Service-Health', 12, 'ALARM', 'OK')] });

    const reading = await adapter().readEnvironment('dev', 'bake', T0, NOW);

    const history = cloudWatch.commandCalls(DescribeAlarmHistoryCommand).map((c) => c.args[0].input);
    const stateReads = history.filter((i) => i.HistoryItemType === 'StateUpdate');
    expect(stateReads.map((i) => i.AlarmName).sort()).toEqual(['Dev-Extra', 'Dev-Service-Health', 'Dev-Service-Health']);
    expect(stateReads[0]).toMatchObject({ AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], StartDate: T0, EndDate: NOW, MaxRecords: 100 });
    expect(history.filter((i) => i.HistoryItemType === 'ConfigurationUpdate')).toEqual([
      { AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], HistoryItemType: 'ConfigurationUpdate', StartDate: T0, EndDate: NOW, MaxRecords: 100 },
    ]);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(cloudFormation.commandCalls(DescribeStacksCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'Dev-Service' }]);
    expect(reading.alarms[0].changes).toEqual([
      { at: at(10), from: 'OK', to: 'ALARM', reason: '5xx' },
      { at: at(12), from: 'ALARM', to: 'OK', reason: 'threshold crossed' },
    ]);
    expect(reading.alarms[1].changes).toEqual([]);
    expect(reading.stack).toEqual({ name: 'Dev-Service', lastUpdatedAt: at(-2) });
  });

  it("keeps configuration changes of the watched alarms and the composite's children only", async () => {
    serveBakeReads();
    cloudWatch
      .on(DescribeAlarmHistoryCommand, { HistoryItemType: 'ConfigurationUpdate' })
      .resolvesOnce({ AlarmHistoryItems: [configurationUpdate('Other-Team-Alarm', 5), configurationUpdate('Dev-Api-Latency', 7)], NextToken: 'c2' })
      .resolvesOnce({ AlarmHistoryItems: [configurationUpdate('Dev-Extra', 9), configurationUpdate('Dev-Api-5xx-Old', 11)] });
    const reading = await adapter().readEnvironment('dev', 'bake', T0, NOW);
    expect(reading.configurationChanges).toEqual([
      { at: at(7), alarmName: 'Dev-Api-Latency', summary: 'Alarm "Dev-Api-Latency" updated' },
      { at: at(9), alarmName: 'Dev-Extra', summary: 'Alarm "Dev-Extra" updated' },
    ]);
  });

  it('reads alarms whose actions were disabled as such', async () => {
    serveDevAlarms(false);
    const reading = await adapter().readEnvironment('dev', 'health', T0, NOW);
    expect(reading.alarms.map((a) => [a.name, a.actionsEnabled])).toEqual([
      ['Dev-Service-Health', false],
      ['Dev-Extra', true],
    ]);
  });

  it('asks for synthetic runs (SampleCount) and requests (Sum) in one call and maps the answers back by Id', async () => {
    serveBakeReads();
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'requests', StatusCode: 'Complete', Timestamps: [at(1), at(2)], Values: [40, 70] },
        { Id: 'syntheticRuns', StatusCode: 'Complete', Timestamps: [at(1)], Values: [1] },
      ],
    });
    const reading = await adapter().readEnvironment('dev', 'bake', new Date(T0.getTime() + 25_000), NOW);
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input).toMatchObject({ StartTime: T0, EndTime: NOW, ScanBy: 'TimestampAscending' });
    expect(input.MetricDataQueries).toEqual([
      {
        Id: 'syntheticRuns',
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'CloudWatchSynthetics', MetricName: 'SuccessPercent', Dimensions: [{ Name: 'CanaryName', Value: 'dev-service-checks' }] },
          Period: 60,
          Stat: 'SampleCount',
        },
      },
      {
        Id: 'requests',
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: 'abc123' }, { Name: 'Stage', Value: '$default' }] },
          Period: 60,
          Stat: 'Sum',
        },
      },
    ]);
    expect(reading.syntheticRuns).toEqual([{ at: at(1), value: 1 }]);
    expect(reading.requests).toEqual([
      { at: at(1), value: 40 },
      { at: at(2), value: 70 },
    ]);
  });

  it('fails on a Forbidden metric result, naming the metrics and where', async () => {
    serveBakeReads();
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'syntheticRuns', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'not authorized to read CloudWatchSynthetics' }] }],
    });
    await expect(adapter().readEnvironment('dev', 'bake', T0, NOW)).rejects.toThrow(
      'GetMetricData CloudWatchSynthetics/SuccessPercent{CanaryName=dev-service-checks}, AWS/ApiGateway/Count{ApiId=abc123,Stage=$default} in dev (222222222222): Error: Forbidden: not authorized to read CloudWatchSynthetics',
    );
  });

  it("takes a stack never updated at its creation, and a stack that does not exist as 'missing'", async () => {
    serveBakeReads();
    cloudFormation
      .on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ StackName: 'Dev-Service', CreationTime: at(-5000), StackStatus: 'CREATE_COMPLETE' }] })
      .rejectsOnce(awsError('ValidationError', 'Stack with id Dev-Service does not exist'))
      .rejectsOnce(awsError('ValidationError', 'Rate exceeded'));
    expect((await adapter().readEnvironment('dev', 'bake', T0, NOW)).stack).toEqual({ name: 'Dev-Service', lastUpdatedAt: at(-5000) });
    expect((await adapter().readEnvironment('dev', 'bake', T0, NOW)).stack).toBe('missing');
    await expect(adapter().readEnvironment('dev', 'bake', T0, NOW)).rejects.toThrow('DescribeStacks Dev-Service in dev (222222222222): ValidationError: Rate exceeded');
  });

  it('reports a reader role that cannot be assumed (AccessDenied) as unavailable, and reads nothing else', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole', 403));
    const read = adapter().readEnvironment('prod', 'health', T0, NOW);
    await expect(read).rejects.toBeInstanceOf(ReaderRoleUnavailable);
    await expect(read).rejects.toThrow('AssumeRole arn:aws:iam::333333333333:role/Tollgate-AlarmReader: AccessDenied: not authorized to perform: sts:AssumeRole (HTTP 403, 1 attempt)');
    expect(cloudWatch.calls()).toHaveLength(0);
  });

  it('keeps another AssumeRole failure an ordinary failed read', async () => {
    sts.on(AssumeRoleCommand).rejects(awsError('RegionDisabledException', 'STS is not activated in us-west-2', 403));
    const read = adapter().readEnvironment('prod', 'health', T0, NOW);
    await expect(read).rejects.toThrow('RegionDisabledException');
    await expect(read).rejects.not.toBeInstanceOf(ReaderRoleUnavailable);
  });
});

describe('the state table', () => {
  const key = (sk: string) => ({ pk: { S: 'gate' }, sk: { S: sk } });

  it('reads failures and owed announcements from every page of the one partition, skipping unreadable times', async () => {
    dynamodb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ ...key('failure#environment:prod'), since: { S: '2026-03-10T10:54:00.000Z' } }, { ...key('failure#controls'), since: { S: 'yesterday-ish' } }],
        LastEvaluatedKey: key('failure#controls'),
      })
      .resolvesOnce({ Items: [{ ...key('owed#exec-1/Prod/ProdBake/reject'), subject: { S: 'Tollgate: rolling back' }, message: { S: 'why' } }] });
    const state = await adapter().readState();
    expect(state.failingSince).toEqual(new Map([['environment:prod', new Date('2026-03-10T10:54:00Z')]]));
    expect(state.outbox).toEqual([{ id: 'exec-1/Prod/ProdBake/reject', subject: 'Tollgate: rolling back', message: 'why' }]);
    const inputs = dynamodb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({ TableName: TABLE, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'gate' } }, ConsistentRead: true });
    expect(inputs[1].ExclusiveStartKey).toEqual(key('failure#controls'));
  });

  it('records failures that started and forgets those that recovered', async () => {
    dynamodb.on(PutItemCommand).resolves({}).on(DeleteItemCommand).resolves({});
    await adapter().recordFailures({ failingSince: new Map([['environment:dev', NOW]]), started: ['environment:dev'], recovered: ['controls'] });
    expect(dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: TABLE, Item: { ...key('failure#environment:dev'), since: { S: NOW.toISOString() } } },
    ]);
    expect(dynamodb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: key('failure#controls') }]);
  });

  it('owes an announcement once: a conditional put that fails means it is owed already', async () => {
    dynamodb
      .on(PutItemCommand)
      .resolvesOnce({})
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(awsError('ResourceNotFoundException', 'Requested resource not found'));
    const announcement = { id: 'exec-1/Dev/Bake/reject', subject: 's', message: 'm' };
    expect(await adapter().owe(announcement)).toBe(true);
    expect(await adapter().owe(announcement)).toBe(false);
    await expect(adapter().owe(announcement)).rejects.toThrow(`PutItem ${TABLE} exec-1/Dev/Bake/reject: ResourceNotFoundException: Requested resource not found`);
    expect(dynamodb.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: { ...key('owed#exec-1/Dev/Bake/reject'), subject: { S: 's' }, message: { S: 'm' } },
      ConditionExpression: 'attribute_not_exists(sk)',
    });
  });

  it('forgets an announcement once paid', async () => {
    dynamodb.on(DeleteItemCommand).resolves({});
    await adapter().paid('exec-1/Dev/Bake/reject');
    expect(dynamodb.commandCalls(DeleteItemCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: key('owed#exec-1/Dev/Bake/reject') }]);
  });
});

describe('putApprovalResult and publish', () => {
  const prodBake: PendingApproval = { pipelineExecutionId: 'exec-1', token: 'tok-prod', stageName: 'Prod', actionName: 'ProdBake', bakeStartedAt: T0 };

  it("answers the approval's own stage and action", async () => {
    codePipeline.on(PutApprovalResultCommand).resolves({ approvedAt: NOW });
    expect(await adapter().putApprovalResult(prodBake, 'Rejected', 'rejected: Prod-Service-Health entered ALARM')).toBe('recorded');
    expect(codePipeline.commandCalls(PutApprovalResultCommand)[0].args[0].input).toEqual({
      pipelineName: 'Tollgate',
      stageName: 'Prod',
      actionName: 'ProdBake',
      token: 'tok-prod',
      result: { status: 'Rejected', summary: 'rejected: Prod-Service-Health entered ALARM' },
    });
  });

  it("takes an approval already completed or a stale token as 'already-decided', and fails on anything else", async () => {
    const meta = { $metadata: { httpStatusCode: 400, attempts: 1 } };
    codePipeline
      .on(PutApprovalResultCommand)
      .rejectsOnce(new ApprovalAlreadyCompletedException({ message: 'done', ...meta }))
      .rejectsOnce(new InvalidApprovalTokenException({ message: 'stale', ...meta }))
      .rejectsOnce(new PipelineNotFoundException({ message: 'gone', ...meta }));
    expect(await adapter().putApprovalResult(prodBake, 'Approved', 'approved')).toBe('already-decided');
    expect(await adapter().putApprovalResult(prodBake, 'Approved', 'approved')).toBe('already-decided');
    await expect(adapter().putApprovalResult(prodBake, 'Approved', 'approved')).rejects.toThrow(
      'PutApprovalResult Approved for execution exec-1: PipelineNotFoundException: gone (HTTP 400, 1 attempt)',
    );
  });

  it('publishes with the subject cut to the 100 characters SNS takes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    await adapter().publish('x'.repeat(140), 'body');
    expect(sns.commandCalls(PublishCommand)[0].args[0].input).toEqual({ TopicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate-bake', Subject: 'x'.repeat(100), Message: 'body' });
  });
});
