/**
 * The recorder against a local endpoint standing in for DynamoDB and CodePipeline: the real SDK's serializers,
 * retries and error parsing run, with DynamoDB's own error shapes.
 */
import { AwsRecorderAdapter } from '@tollgate/constructs/lib/lambdas/release-recorder/adapter';
import { createRecorder } from '@tollgate/constructs/lib/lambdas/release-recorder/index';
import { FakeAwsEndpoint, json, jsonError } from './fake-aws-endpoint';
import { EXECUTION, PIPELINE, SETTINGS, stageEvent } from './release-recorder-fixtures';

const endpoint = new FakeAwsEndpoint();
const saved = { ...process.env };

beforeAll(async () => {
  Object.assign(process.env, { AWS_ENDPOINT_URL: await endpoint.start(), AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'secret' });
});
afterAll(async () => {
  process.env = saved;
  await endpoint.stop();
});
beforeEach(() => endpoint.reset());

const item = (revision: number) => ({
  Item: {
    executionId: { S: EXECUTION },
    schemaVersion: { N: '1' },
    pipelineName: { S: PIPELINE },
    commitId: { S: 'abc1234' },
    startedAt: { S: '2026-11-20T10:00:00Z' },
    executionType: { S: 'STANDARD' },
    stages: { M: {} },
    gates: { L: [] },
    outcome: { S: 'in-progress' },
    revision: { N: String(revision) },
  },
});

function recorder() {
  return createRecorder({ port: new AwsRecorderAdapter({ pipelineName: PIPELINE, tableName: 'Tollgate-ReleaseRecord', topicArn: 'arn:aws:sns:us-east-1:111111111111:t', maxAttempts: 3 }), settings: SETTINGS, emit: () => undefined });
}

test('a write that loses to a concurrent event (ConditionalCheckFailedException over the wire) is made again on the fresh revision', async () => {
  let revision = 3;
  endpoint
    .on('dynamodb:GetItem', () => json(item(revision)))
    .on('dynamodb:PutItem', (r) => {
      const expected = (r.input.ExpressionAttributeValues as Record<string, { N: string }>)[':revision'].N;
      if (Number(expected) !== revision) return jsonError(400, 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', 'The conditional request failed');
      return json({});
    })
    // The concurrent writer moves the item on between the first read and the first write.
    .first('dynamodb:PutItem', () => {
      revision = 4;
      return undefined;
    });
  const report = await recorder()(stageEvent('Dev', 'STARTED', '2026-11-20T10:30:00Z'));
  expect(report.written).toEqual([EXECUTION]);
  const puts = endpoint.calls('dynamodb:PutItem');
  expect(puts).toHaveLength(2);
  expect((puts[1].input.Item as Record<string, { N?: string }>).revision.N).toBe('5');
});

test('DynamoDB throttling is retried by the SDK; when it persists the event fails naming the call', async () => {
  endpoint.on('dynamodb:GetItem', () => jsonError(400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException', 'Rate of requests exceeds the allowed throughput.'));
  await expect(recorder()(stageEvent('Dev', 'STARTED', '2026-11-20T10:30:00Z'))).rejects.toThrow(/GetItem 11111111-2222-4333-8444-555555555555 from Tollgate-ReleaseRecord: ThrottlingException.*3 attempts/);
  expect(endpoint.calls('dynamodb:GetItem')).toHaveLength(3);
});
