/**
 * `npm run release-version`: prints the commit's release version, `v<release>.<n>`, assigning the next of its
 * release line when the commit has none (the Build runs it; see `@tollgate/constructs/lib/domain/release-version`
 * for the scheme and why once per commit). Told the release line, the table and the commit by the Build's
 * environment (`RELEASE`, `RELEASE_VERSION_TABLE`, `RELEASE_COMMIT_ID`). The DynamoDB calls below are all it does.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { RELEASE_RECORD_KEY } from '@tollgate/constructs/lib/domain/release-record';
import {
  assignReleaseVersion,
  commitVersionKey,
  RELEASE_COMMIT_ID_ENV,
  RELEASE_ENV,
  RELEASE_VERSION_TABLE_ENV,
  releaseCounterKey,
  ReleaseVersionStore,
} from '@tollgate/constructs/lib/domain/release-version';

/** The version items in the release record table, keyed by the record's partition key. */
export function dynamoVersionStore(client: DynamoDBClient, tableName: string): ReleaseVersionStore {
  const key = (value: string) => ({ [RELEASE_RECORD_KEY]: { S: value } });
  return {
    async versionOf(commitId) {
      const answer = await client.send(new GetItemCommand({ TableName: tableName, Key: key(commitVersionKey(commitId)), ConsistentRead: true }));
      return answer.Item?.version?.S;
    },
    async increment(release) {
      // ADD on a missing item creates it from 0, atomically (DynamoDB API reference, UpdateItem: ADD, ReturnValues UPDATED_NEW).
      const answer = await client.send(
        new UpdateItemCommand({ TableName: tableName, Key: key(releaseCounterKey(release)), UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': 'n' }, ExpressionAttributeValues: { ':one': { N: '1' } }, ReturnValues: 'UPDATED_NEW' }),
      );
      const n = Number(answer.Attributes?.n?.N);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${releaseCounterKey(release)} answered ${JSON.stringify(answer.Attributes)}, not a count`);
      return n;
    },
    async claim(commitId, version) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: { ...key(commitVersionKey(commitId)), version: { S: version }, commitId: { S: commitId }, assignedAt: { S: new Date().toISOString() } },
            ConditionExpression: 'attribute_not_exists(#key)',
            ExpressionAttributeNames: { '#key': RELEASE_RECORD_KEY },
          }),
        );
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
        throw err;
      }
    },
  };
}

/** The commit's version, from the Build's environment. */
export async function releaseVersionFromEnvironment(env: Record<string, string | undefined>, client = new DynamoDBClient({})): Promise<string> {
  const need = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} must be set (the Build sets it)`);
    return value;
  };
  return assignReleaseVersion(dynamoVersionStore(client, need(RELEASE_VERSION_TABLE_ENV)), need(RELEASE_ENV), need(RELEASE_COMMIT_ID_ENV));
}

if (require.main === module) {
  releaseVersionFromEnvironment(process.env).then(
    (version) => console.log(version),
    (err: Error) => {
      console.error(`release-version: ${err.message}`);
      process.exit(1);
    },
  );
}
