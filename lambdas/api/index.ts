import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyEventV2WithIAMAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { RELEASE_VERSION_VARIABLE, UNRELEASED } from '@tollgate/constructs/lib/domain/release-version';
import { httpResult, ItemStore, route } from './routes';

const client = new DynamoDBClient({});
const tableName = process.env.TABLE_NAME ?? '';
// The release version the pipeline's Build assigned; a sandbox or a local run has none.
const releaseVersion = process.env[RELEASE_VERSION_VARIABLE] || UNRELEASED;

/** Items are stored as one JSON attribute so the sample stays schema-free. */
const store: ItemStore = {
  async get(id) {
    // Strongly consistent: a read right after a write (the synthetic checks do one every minute) sees it.
    const out = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: id } }, ConsistentRead: true }));
    return out.Item?.doc?.S ? (JSON.parse(out.Item.doc.S) as Record<string, unknown>) : undefined;
  },
  async put(id, body) {
    await client.send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: id }, doc: { S: JSON.stringify(body) } } }));
  },
};

/** Events of the public routes carry no authorizer; those of the IAM-authorized write carry `authorizer.iam`. */
type ApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithIAMAuthorizer;

export async function handler(event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> {
  const iam = 'authorizer' in event.requestContext ? event.requestContext.authorizer?.iam : undefined;
  const response = await route(
    { method: event.requestContext.http.method, path: event.rawPath, body: event.body, caller: iam ? iam.userArn || iam.callerId || 'an IAM principal' : undefined },
    store,
    releaseVersion,
  );
  return httpResult(response, releaseVersion);
}
