import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, DeleteStackCommand, DescribeStacksCommand, Stack } from '@aws-sdk/client-cloudformation';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { mockClient } from 'aws-sdk-client-mock';
import { cleanExpiredSandboxes } from '../lambdas/sandbox-cleaner/index';
import { CLOUDFORMATION_NS, FakeAwsEndpoint, xml, xmlError } from './fake-aws-endpoint';

const NOW = new Date('2026-11-22T12:00:00Z');
const SETTINGS = { now: NOW, account: '444444444444', prodAccount: '333333333333' };
const logger = new Logger({ serviceName: 'sandbox-cleaner-test', logLevel: 'SILENT' });

function stack(name: string, tags: Record<string, string>, status = 'UPDATE_COMPLETE'): Stack {
  return {
    StackName: name,
    StackId: `arn:aws:cloudformation:us-east-1:444444444444:stack/${name}/1`,
    StackStatus: status as Stack['StackStatus'],
    CreationTime: new Date('2026-11-01T00:00:00Z'),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  };
}

const sandbox = (name: string, expires: string) => stack(`${name}-Service`, { 'tollgate:sandbox': name, 'tollgate:owner': name, 'tollgate:expires': expires });

describe('with aws-sdk-client-mock', () => {
  const cfn = mockClient(CloudFormationClient);
  beforeEach(() => cfn.reset());
  afterAll(() => cfn.restore());

  test('reads every page of DescribeStacks and deletes exactly the expired sandbox stacks', async () => {
    cfn
      .on(DescribeStacksCommand, {})
      .resolves({ Stacks: [stack('Dev-Service', {}), sandbox('alice', '2026-11-20T00:00:00Z')], NextToken: 'page2' })
      .on(DescribeStacksCommand, { NextToken: 'page2' })
      .resolves({ Stacks: [sandbox('bob', '2026-12-01T00:00:00Z'), sandbox('carol', '2026-11-22T11:00:00Z'), stack('CDKToolkit', {})] });
    cfn.on(DeleteStackCommand).resolves({});

    const report = await cleanExpiredSandboxes(new CloudFormationClient({ region: 'us-east-1' }), SETTINGS, logger);

    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(2);
    expect(cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([{ StackName: 'alice-Service' }, { StackName: 'carol-Service' }]);
    expect(report.deleted).toEqual(['alice-Service', 'carol-Service']);
    expect(report.kept.map((k) => k.stackName)).toEqual(['Dev-Service', 'bob-Service', 'CDKToolkit']);
  });

  test('one failed deletion does not stop the others and is reported', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [sandbox('alice', '2026-11-20T00:00:00Z'), sandbox('bob', '2026-11-20T00:00:00Z')] });
    cfn
      .on(DeleteStackCommand, { StackName: 'alice-Service' })
      .rejects(Object.assign(new Error('User is not authorized to perform: cloudformation:DeleteStack'), { name: 'AccessDenied' }))
      .on(DeleteStackCommand, { StackName: 'bob-Service' })
      .resolves({});

    const report = await cleanExpiredSandboxes(new CloudFormationClient({ region: 'us-east-1' }), SETTINGS, logger);

    expect(report.deleted).toEqual(['bob-Service']);
    expect(report.failed).toEqual([{ stackName: 'alice-Service', error: 'AccessDenied: User is not authorized to perform: cloudformation:DeleteStack' }]);
  });

  test('in the prod account it lists but deletes nothing', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [sandbox('alice', '2020-01-01T00:00:00Z')] });
    const report = await cleanExpiredSandboxes(new CloudFormationClient({ region: 'us-east-1' }), { ...SETTINGS, account: '333333333333' }, logger);
    expect(report.refused).toBe('it runs in the prod account 333333333333');
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });
});

describe('over the wire (CloudFormation query protocol)', () => {
  function describeStacks(stacks: { name: string; tags: Record<string, string> }[], nextToken?: string) {
    const members = stacks
      .map((s) => {
        const tags = Object.entries(s.tags)
          .map(([k, v]) => `<member><Key>${k}</Key><Value>${v}</Value></member>`)
          .join('');
        return `<member><StackName>${s.name}</StackName><StackId>arn:aws:cloudformation:us-east-1:444444444444:stack/${s.name}/1</StackId><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-01T00:00:00Z</CreationTime><Tags>${tags}</Tags></member>`;
      })
      .join('');
    return xml('DescribeStacks', `<Stacks>${members}</Stacks>${nextToken ? `<NextToken>${nextToken}</NextToken>` : ''}`, CLOUDFORMATION_NS);
  }
  const deleteStack = () => ({
    status: 200,
    body: `<DeleteStackResponse xmlns="${CLOUDFORMATION_NS}"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></DeleteStackResponse>`,
  });
  const expired = { name: 'alice-Service', tags: { 'tollgate:sandbox': 'alice', 'tollgate:expires': '2026-11-20T00:00:00Z' } };

  const endpoint = new FakeAwsEndpoint();
  let url: string;
  beforeAll(async () => {
    url = await endpoint.start();
  });
  afterAll(() => endpoint.stop());
  beforeEach(() => endpoint.reset());

  const client = () =>
    new CloudFormationClient({
      region: 'us-east-1',
      endpoint: url,
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
      retryStrategy: new ConfiguredRetryStrategy(3, 1),
    });
  const operations = () => endpoint.requests.map((r) => r.operation);

  test('a throttled listing is retried, then the expired stack is deleted', async () => {
    endpoint
      .on('cloudformation:DescribeStacks', () =>
        endpoint.calls('cloudformation:DescribeStacks').length === 1 ? xmlError(400, 'Throttling', 'Rate exceeded', CLOUDFORMATION_NS) : describeStacks([expired]),
      )
      .on('cloudformation:DeleteStack', deleteStack);
    const report = await cleanExpiredSandboxes(client(), SETTINGS, logger);
    expect(operations()).toEqual(['DescribeStacks', 'DescribeStacks', 'DeleteStack']);
    expect(endpoint.calls('cloudformation:DeleteStack')[0].input).toMatchObject({ Action: 'DeleteStack', StackName: 'alice-Service' });
    expect(report.deleted).toEqual(['alice-Service']);
  });

  test('a listing that keeps failing (HTTP 500) deletes nothing: a half-read account is not acted on', async () => {
    endpoint
      .on('cloudformation:DescribeStacks', (r) => (r.input.NextToken ? xmlError(500, 'InternalFailure', 'boom', CLOUDFORMATION_NS) : describeStacks([expired], 'next')))
      .on('cloudformation:DeleteStack', deleteStack);
    await expect(cleanExpiredSandboxes(client(), SETTINGS, logger)).rejects.toThrow();
    expect(operations()).not.toContain('DeleteStack');
  });
});
