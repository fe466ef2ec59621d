/**
 * The guard's pipeline step over the wire, against the fake endpoint: AssumeRole of the deploy role,
 * DescribeChangeSet (query protocol, XML, paginated), SSM consumption records, SNS announcements.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGuard } from '@tollgate/constructs/lib/lambdas/replacement-guard/index';
import { FakeAwsEndpoint, RecordedRequest, assumeRoleReply, describeChangeSetReply, json, jsonError, publishReply } from './fake-aws-endpoint';
import { functionReplaced, tableKeySchemaChanged } from './replacement-guard-fixtures';

const endpoint = new FakeAwsEndpoint();
const dir = mkdtempSync(join(tmpdir(), 'guard-wire-'));
const allowList = join(dir, 'allow-replace.json');
const parameters = new Map<string, string>();
let saved: NodeJS.ProcessEnv;

beforeAll(async () => {
  const url = await endpoint.start();
  saved = { ...process.env };
  Object.assign(process.env, { AWS_ENDPOINT_URL: url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake', AWS_MAX_ATTEMPTS: '1' });
});
afterAll(async () => {
  process.env = saved;
  await endpoint.stop();
});

const CHANGE_SET = 'arn:aws:cloudformation:us-east-1:333333333333:changeSet/PipelineChange/1';
function pages(r: RecordedRequest) {
  const second = r.input.NextToken === 'page-2';
  return describeChangeSetReply({
    StackName: 'Prod-Service',
    ChangeSetId: CHANGE_SET,
    Status: 'CREATE_COMPLETE',
    Changes: second ? [tableKeySchemaChanged] : [functionReplaced],
    NextToken: second ? undefined : 'page-2',
  });
}

beforeEach(() => {
  endpoint.reset();
  parameters.clear();
  writeFileSync(allowList, '[]');
  endpoint
    .on('sts:AssumeRole', (r) => assumeRoleReply(String(r.input.RoleArn)))
    .on('cloudformation:DescribeChangeSet', pages)
    .on('ssm:GetParameter', (r) => {
      const value = parameters.get(String(r.input.Name));
      return value ? json({ Parameter: { Name: r.input.Name, Value: value } }) : jsonError(400, 'ParameterNotFound', 'not found');
    })
    .on('ssm:PutParameter', (r) => {
      if (parameters.has(String(r.input.Name))) return jsonError(400, 'ParameterAlreadyExists', 'exists');
      parameters.set(String(r.input.Name), String(r.input.Value));
      return json({ Version: 1 });
    })
    .on('sns:Publish', () => publishReply());
});

const env = (executionId: string) => ({
  GUARD_STACK_NAME: 'Prod-Service',
  GUARD_CHANGE_SET_NAME: 'PipelineChange',
  GUARD_ROLE_ARN: 'arn:aws:iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-east-1',
  GUARD_REGION: 'us-east-1',
  GUARD_ALLOW_LIST_FILE: allowList,
  GUARD_PIPELINE_NAME: 'Tollgate',
  GUARD_EXECUTION_ID: executionId,
  GUARD_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events',
});

test('a key schema change on page 2 fails the step (exit 1), logged and announced', async () => {
  const log: string[] = [];
  expect(await runGuard(env('exec-1'), (l) => log.push(l))).toBe(1);
  expect(endpoint.calls('sts:AssumeRole')[0].input.RoleArn).toBe(env('x').GUARD_ROLE_ARN);
  expect(endpoint.calls('cloudformation:DescribeChangeSet').map((r) => r.input.NextToken)).toEqual([undefined, 'page-2']);
  // Signed with the deploy role's session, not the build's own credentials.
  expect(endpoint.calls('cloudformation:DescribeChangeSet')[0].accessKeyId).toBe('ASIAFAKE');
  expect(log.join('\n')).toMatch(/BLOCKED Prod-Service ItemsTable5AAC2C46 \(AWS::DynamoDB::Table\).*KeySchema \(Always\)/);
  expect(String(endpoint.calls('sns:Publish')[0].input.Message)).toMatch(/ItemsTable5AAC2C46/);
});

test('an announced replacement passes once: consumed by its execution, refused to the next', async () => {
  writeFileSync(allowList, JSON.stringify([{ stack: 'Prod-Service', logicalId: 'ItemsTable5AAC2C46', reason: 'key schema v2, migrated' }]));
  const log: string[] = [];
  expect(await runGuard(env('exec-1'), (l) => log.push(l))).toBe(0);
  expect(log.join('\n')).toMatch(/ALLOWED .*allowed \(announced\): key schema v2, migrated/);
  expect([...parameters.values()].map((v) => JSON.parse(v).executionId)).toEqual(['exec-1']);
  expect(await runGuard(env('exec-1'), () => undefined)).toBe(0); // a retried stage
  const later: string[] = [];
  expect(await runGuard(env('exec-2'), (l) => later.push(l))).toBe(1);
  expect(later.join('\n')).toMatch(/consumed by execution exec-1/);
});

test('DescribeChangeSet refused: cannot decide (exit 2), fails closed', async () => {
  endpoint.first('cloudformation:DescribeChangeSet', () => ({ status: 403, body: '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>' }));
  const log: string[] = [];
  expect(await runGuard(env('exec-1'), (l) => log.push(l))).toBe(2);
  expect(log[0]).toMatch(/^cannot decide: .*failing closed$/);
});
