/**
 * The replacement guard's decision on a change set of 500 resource changes (one in ten a stateful replacement,
 * with an allow-list of 50 entries), as the pipeline step makes once per stack; and the offline template diff
 * of 500 resources, as `tollgate guard --baseline` makes per stack. Target: well under 1 s.
 */
import { diffTemplates, evaluateChangeSets, TemplateResources } from '@tollgate/constructs/lib/domain/replacement-guard';
import { largeChangeSet } from '../test/replacement-guard-fixtures';

function time(label: string, iterations: number, fn: () => unknown): void {
  for (let i = 0; i < Math.min(iterations, 20); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  console.log(`${label.padEnd(52)} ${ms.toFixed(3).padStart(9)} ms/call  (target ≤ 1000 ms)`);
}

const changes = largeChangeSet(500);
const allowList = Array.from({ length: 50 }, (_, i) => ({ stack: 'Prod-Service', logicalId: `Resource${i * 20}`, reason: `migration ${i}` }));
const verdict = evaluateChangeSets([{ stackName: 'Prod-Service', changes }], { allowList, executionId: 'exec-1' });
console.log(`500 changes: ${verdict.blocked.length} blocked, ${verdict.allowed.length} allowed`);
time('evaluateChangeSets, 500 resource changes', 500, () => evaluateChangeSets([{ stackName: 'Prod-Service', changes }], { allowList, executionId: 'exec-1' }));

const template = (key: string): TemplateResources => ({
  Resources: Object.fromEntries(
    Array.from({ length: 500 }, (_, i) => [`Table${i}`, { Type: i % 2 ? 'AWS::DynamoDB::Table' : 'AWS::Lambda::Function', Properties: { KeySchema: [{ AttributeName: i % 7 ? 'pk' : key, KeyType: 'HASH' }] } }]),
  ),
});
const before = template('pk');
const after = template('id');
time('diffTemplates + verdict, 500 resources', 200, () => evaluateChangeSets([diffTemplates('Prod-Service', before, after)]));

/** The adapter over the wire: DescribeChangeSet of the same 500 changes, five pages of 100 (query protocol XML), against the local fake endpoint. */
async function overTheWire(): Promise<void> {
  const { FakeAwsEndpoint, describeChangeSetReply } = await import('../test/fake-aws-endpoint');
  const { CloudFormationClient } = await import('@aws-sdk/client-cloudformation');
  const { describeChangeSetTree } = await import('@tollgate/constructs/lib/lambdas/replacement-guard/adapter');
  const endpoint = new FakeAwsEndpoint();
  const url = await endpoint.start();
  endpoint.on('cloudformation:DescribeChangeSet', (r) => {
    const page = Number(r.input.NextToken ?? 0);
    return describeChangeSetReply({
      StackName: 'Prod-Service',
      ChangeSetId: 'arn:aws:cloudformation:us-east-1:333333333333:changeSet/PipelineChange/1',
      Status: 'CREATE_COMPLETE',
      Changes: changes.slice(page * 100, page * 100 + 100),
      NextToken: page < 4 ? String(page + 1) : undefined,
    });
  });
  const cfn = new CloudFormationClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' } });
  const run = async () => evaluateChangeSets([await describeChangeSetTree(cfn, 'PipelineChange', 'Prod-Service')], { allowList, executionId: 'exec-1' });
  for (let i = 0; i < 5; i++) await run();
  const iterations = 50;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  console.log(`${'describe (5 pages over HTTP) + verdict, 500 changes'.padEnd(52)} ${ms.toFixed(3).padStart(9)} ms/call  (target ≤ 1000 ms)`);
  await endpoint.stop();
}
void overTheWire();
