import { CodePipelineClient, GetPipelineExecutionCommand, ListActionExecutionsCommand, ListPipelineExecutionsCommand } from '@aws-sdk/client-codepipeline';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { AwsRecorderAdapter } from '@tollgate/constructs/lib/lambdas/release-recorder/adapter';
import { createRecorder } from '@tollgate/constructs/lib/lambdas/release-recorder/index';
import type { RecorderMetric } from '@tollgate/constructs/lib/lambdas/release-recorder/core';
import { mockClient } from 'aws-sdk-client-mock';
import { actionEvent, APPROVAL, EXECUTION, executionEvent, PIPELINE, SETTINGS, stageEvent } from './release-recorder-fixtures';

const dynamodb = mockClient(DynamoDBClient);
const codePipeline = mockClient(CodePipelineClient);
const sns = mockClient(SNSClient);
const TABLE = 'Tollgate-ReleaseRecord';
const ROLLBACK = '99999999-2222-4333-8444-555555555555';

beforeEach(() => {
  dynamodb.reset();
  codePipeline.reset();
  sns.reset();
  codePipeline.on(GetPipelineExecutionCommand).resolves({
    pipelineExecution: { pipelineExecutionId: EXECUTION, executionType: 'STANDARD', artifactRevisions: [{ name: 'Source', revisionId: 'abc1234def', created: new Date('2026-11-20T09:30:00Z') }] },
  });
  codePipeline.on(ListActionExecutionsCommand).resolves({ actionExecutionDetails: [] });
  dynamodb.on(PutItemCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'm1' });
});

function recorder(emitted: RecorderMetric[] = []) {
  return createRecorder({ port: new AwsRecorderAdapter({ pipelineName: PIPELINE, tableName: TABLE, topicArn: 'arn:aws:sns:us-east-1:111111111111:t', maxAttempts: 1 }), settings: SETTINGS, emit: (m) => emitted.push(...m) });
}

test('a first event creates the record, only if no item exists, with the commit from GetPipelineExecution and revision 0', async () => {
  dynamodb.on(GetItemCommand).resolves({});
  await recorder()(executionEvent('STARTED', '2026-11-20T10:00:00Z'));
  expect(dynamodb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({ TableName: TABLE, Key: { executionId: { S: EXECUTION } }, ConsistentRead: true });
  const put = dynamodb.commandCalls(PutItemCommand)[0].args[0].input;
  expect(put.ConditionExpression).toBe('attribute_not_exists(#key)');
  expect(put.Item).toMatchObject({ executionId: { S: EXECUTION }, commitId: { S: 'abc1234def' }, commitTime: { S: '2026-11-20T09:30:00Z' }, revision: { N: '0' }, outcome: { S: 'in-progress' } });
});

test('a later event writes on the revision it read, and a write that lost to another event is made again from a fresh read', async () => {
  const stored = marshall({ schemaVersion: 1, pipelineName: PIPELINE, executionId: EXECUTION, commitId: 'abc', startedAt: '2026-11-20T10:00:00Z', executionType: 'STANDARD', stages: {}, gates: [], outcome: 'in-progress', revision: 4 });
  dynamodb.on(GetItemCommand).resolvesOnce({ Item: stored }).resolves({ Item: { ...stored, revision: { N: '5' } } });
  dynamodb.on(PutItemCommand).rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })).resolves({});
  const report = await recorder()(stageEvent('Dev', 'STARTED', '2026-11-20T10:30:00Z'));
  const puts = dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
  expect(puts.map((p) => p.ExpressionAttributeValues?.[':revision'])).toEqual([{ N: '4' }, { N: '5' }]);
  expect(puts[1].Item).toMatchObject({ revision: { N: '6' }, stages: { M: { Dev: { M: { reachedAt: { S: '2026-11-20T10:30:00Z' } } } } } });
  expect(report.written).toEqual([EXECUTION]);
  expect(codePipeline.commandCalls(GetPipelineExecutionCommand)).toHaveLength(0);
});

test('a release is announced on the topic after its record is written, and its metrics emitted', async () => {
  const stored = marshall({ schemaVersion: 1, pipelineName: PIPELINE, executionId: EXECUTION, version: 'v1.4.17', commitId: 'abc1234def', startedAt: '2026-11-20T10:00:00Z', executionType: 'STANDARD', stages: {}, gates: [], outcome: 'in-progress', revision: 2 });
  dynamodb.on(GetItemCommand).resolves({ Item: stored });
  const emitted: RecorderMetric[] = [];
  await recorder(emitted)(stageEvent('Prod', 'SUCCEEDED', '2026-11-20T12:30:00Z'));
  expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain('Released v1.4.17 (commit abc1234) to prod at 2026-11-20T12:30:00Z.');
  expect(emitted.map((m) => m.name)).toContain('Deployments');
});

test('an unchanged record is not written; an unreadable one is not overwritten: the event fails', async () => {
  const stored = marshall({ schemaVersion: 1, pipelineName: PIPELINE, executionId: EXECUTION, commitId: 'abc', startedAt: '2026-11-20T10:00:00Z', executionType: 'STANDARD', stages: { Dev: { reachedAt: '2026-11-20T10:30:00Z' } }, gates: [], outcome: 'in-progress', revision: 1 });
  dynamodb.on(GetItemCommand).resolves({ Item: stored });
  expect((await recorder()(stageEvent('Dev', 'STARTED', '2026-11-20T10:30:00Z'))).written).toEqual([]);
  dynamodb.on(GetItemCommand).resolves({ Item: { ...stored, schemaVersion: { N: '9' } } });
  await expect(recorder()(stageEvent('Dev', 'STARTED', '2026-11-20T10:31:00Z'))).rejects.toThrow('the release record of 11111111-2222-4333-8444-555555555555 is unreadable: record.schemaVersion must be one of 1, got 9');
  expect(dynamodb.commandCalls(PutItemCommand)).toHaveLength(0);
});

test('a rollback reads what it rolled back from the recent executions and marks that record rolled back', async () => {
  const released = marshall({ schemaVersion: 1, pipelineName: PIPELINE, executionId: EXECUTION, commitId: 'abc', startedAt: '2026-11-20T10:00:00Z', executionType: 'STANDARD', stages: {}, gates: [], outcome: 'released', releasedAt: '2026-11-20T12:30:00Z', revision: 7 });
  dynamodb.on(GetItemCommand, { Key: { executionId: { S: ROLLBACK } } }).resolves({});
  dynamodb.on(GetItemCommand, { Key: { executionId: { S: EXECUTION } } }).resolves({ Item: released });
  codePipeline.on(GetPipelineExecutionCommand).resolves({ pipelineExecution: { pipelineExecutionId: ROLLBACK, executionType: 'ROLLBACK', rollbackMetadata: { rollbackTargetPipelineExecutionId: 'restored' } } });
  codePipeline.on(ListPipelineExecutionsCommand).resolves({
    pipelineExecutionSummaries: [
      { pipelineExecutionId: ROLLBACK, startTime: new Date('2026-11-20T13:00:00Z'), executionType: 'ROLLBACK' },
      { pipelineExecutionId: EXECUTION, startTime: new Date('2026-11-20T10:00:00Z'), executionType: 'STANDARD' },
      { pipelineExecutionId: 'restored', startTime: new Date('2026-11-20T08:00:00Z'), executionType: 'STANDARD' },
    ],
  });
  const report = await recorder()(executionEvent('STARTED', '2026-11-20T13:00:00Z', { executionId: ROLLBACK, triggerType: 'AutomatedRollback' }));
  expect(report.written).toEqual([ROLLBACK, EXECUTION]);
  const marked = dynamodb.commandCalls(PutItemCommand).map((c) => c.args[0].input).find((p) => p.Item?.executionId.S === EXECUTION)!;
  expect(marked).toMatchObject({ Item: { outcome: { S: 'rolled-back' }, revision: { N: '8' } }, ExpressionAttributeValues: { ':revision': { N: '7' } } });
});

test('an ended gate approval takes its summary and the action runs from ListActionExecutions', async () => {
  dynamodb.on(GetItemCommand).resolves({});
  codePipeline.on(ListActionExecutionsCommand).resolves({
    actionExecutionDetails: [
      {
        stageName: 'Dev',
        actionName: 'Bake',
        status: 'Failed',
        startTime: new Date('2026-11-20T10:40:00Z'),
        lastUpdateTime: new Date('2026-11-20T11:03:00Z'),
        input: { actionTypeId: { category: 'Approval', owner: 'AWS', provider: 'Manual', version: '1' } },
        output: { executionResult: { externalExecutionSummary: 'Rejected: Dev-Service-Health entered ALARM at 11:01:00Z (reason: r)' } },
      },
    ],
  });
  await recorder()(actionEvent('Dev', 'Bake', 'FAILED', '2026-11-20T11:03:00Z', APPROVAL));
  const item = dynamodb.commandCalls(PutItemCommand)[0].args[0].input.Item!;
  expect(item.gates.L?.[0].M).toMatchObject({ verdict: { S: 'REJECTED' }, alarmAt: { S: '2026-11-20T11:01:00Z' } });
  expect(item.usage.M).toMatchObject({ gateMinutes: { N: '23' }, bakeMinutes: { N: '23' }, actionMinutes: { N: '0' } });
});

test("another pipeline's event is ignored", async () => {
  const event = executionEvent('STARTED', '2026-11-20T10:00:00Z');
  const report = await recorder()({ ...event, detail: { ...event.detail, pipeline: 'Other' } });
  expect(report.ignored).toBe('pipeline Other is not Tollgate');
  expect(dynamodb.calls()).toHaveLength(0);
});
