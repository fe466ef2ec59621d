import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { assignReleaseVersion, ReleaseVersionStore } from '@tollgate/constructs/lib/domain/release-version';
import { mockClient } from 'aws-sdk-client-mock';
import { dynamoVersionStore, releaseVersionFromEnvironment } from '../cdk/release-version';

/** The table's version items in memory, with DynamoDB's semantics: ADD from 0, a conditional put. */
function memoryStore(): ReleaseVersionStore & { counters: Map<string, number>; versions: Map<string, string> } {
  const counters = new Map<string, number>();
  const versions = new Map<string, string>();
  return {
    counters,
    versions,
    versionOf: async (commit) => versions.get(commit),
    increment: async (release) => {
      counters.set(release, (counters.get(release) ?? 0) + 1);
      return counters.get(release)!;
    },
    claim: async (commit, version) => {
      if (versions.has(commit)) return false;
      versions.set(commit, version);
      return true;
    },
  };
}

test('the same commit twice gets the same version: a rebuild (self-mutation restart, retry) does not change it', async () => {
  const store = memoryStore();
  const first = await assignReleaseVersion(store, '1.4', 'abc123');
  expect(first).toBe('v1.4.1');
  expect(await assignReleaseVersion(store, '1.4', 'abc123')).toBe(first);
  expect(store.counters.get('1.4')).toBe(1);
});

test('two commits get increasing versions, counted per release line', async () => {
  const store = memoryStore();
  expect(await assignReleaseVersion(store, '1.4', 'a')).toBe('v1.4.1');
  expect(await assignReleaseVersion(store, '1.4', 'b')).toBe('v1.4.2');
  expect(await assignReleaseVersion(store, '2.0', 'c')).toBe('v2.0.1');
  expect(await assignReleaseVersion(store, '1.4', 'd')).toBe('v1.4.3');
});

test('two builds of one commit at once: one claim wins, both answer its version, the loser leaves a gap', async () => {
  const store = memoryStore();
  await assignReleaseVersion(store, '1.4', 'abc');
  // The loser read no version before the winner claimed: it takes number 2, loses the claim, answers v1.4.1.
  const loser = await assignReleaseVersion({ ...store, versionOf: jest.fn().mockResolvedValueOnce(undefined).mockResolvedValue('v1.4.1') }, '1.4', 'abc');
  expect(loser).toBe('v1.4.1');
  expect(await assignReleaseVersion(store, '1.4', 'next')).toBe('v1.4.3');
});

test.each([
  ['1.4.2', 'abc', 'release must be <major>.<minor> like 1.4, got "1.4.2"'],
  ['1.4', '', 'commitId must be a commit ID, got ""'],
])('release %j, commit %j is refused naming the field', async (release, commit, message) => {
  await expect(assignReleaseVersion(memoryStore(), release, commit)).rejects.toThrow(message);
});

describe('the DynamoDB adapter', () => {
  const dynamodb = mockClient(DynamoDBClient);
  beforeEach(() => dynamodb.reset());
  const env = { RELEASE: '1.4', RELEASE_VERSION_TABLE: 'Tollgate-ReleaseRecord', RELEASE_COMMIT_ID: 'abc123' };

  test('counts with an atomic ADD on counter#<release> and claims version#<commit> only if it is absent', async () => {
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { n: { N: '17' } } });
    dynamodb.on(PutItemCommand).resolves({});
    expect(await releaseVersionFromEnvironment(env, new DynamoDBClient({}))).toBe('v1.4.17');
    expect(dynamodb.commandCalls(UpdateItemCommand)[0].args[0].input).toMatchObject({ Key: { executionId: { S: 'counter#1.4' } }, UpdateExpression: 'ADD #n :one', ReturnValues: 'UPDATED_NEW' });
    expect(dynamodb.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({ Item: { executionId: { S: 'version#abc123' }, version: { S: 'v1.4.17' } }, ConditionExpression: 'attribute_not_exists(#key)' });
  });

  test("a lost claim reads the winner's version", async () => {
    dynamodb.on(GetItemCommand).resolvesOnce({}).resolves({ Item: { version: { S: 'v1.4.16' } } });
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { n: { N: '17' } } });
    dynamodb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await dynamoVersionStore(new DynamoDBClient({}), 'T').claim('abc', 'v1.4.17')).toBe(false);
    expect(await releaseVersionFromEnvironment(env, new DynamoDBClient({}))).toBe('v1.4.16');
  });

  test('a missing setting is named', async () => {
    await expect(releaseVersionFromEnvironment({ ...env, RELEASE_COMMIT_ID: undefined })).rejects.toThrow('RELEASE_COMMIT_ID must be set (the Build sets it)');
  });
});
