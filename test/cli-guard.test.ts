import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, GetTemplateCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { expectGolden } from './golden';
import { runCli } from './cli-harness';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A cloud assembly as CDK Pipelines writes it: the pipeline at the root, each stage a nested assembly. */
function writeAssembly(dir: string, stacks: { stage: string; stackName: string; account: string; resources: Resources }[]): string {
  mkdirSync(dir, { recursive: true });
  const artifacts: Record<string, unknown> = {};
  for (const s of stacks) {
    const sub = `assembly-Tollgate-Pipeline-${s.stage}`;
    mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, sub, `${s.stackName}.template.json`), JSON.stringify({ Resources: s.resources }));
    writeFileSync(
      join(dir, sub, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          [`TollgatePipeline${s.stage}Service`]: {
            type: 'aws:cloudformation:stack',
            environment: `aws://${s.account}/us-east-1`,
            displayName: `Tollgate-Pipeline/${s.stage}/Service`,
            properties: { templateFile: `${s.stackName}.template.json`, stackName: s.stackName },
          },
        },
      }),
    );
    artifacts[sub] = { type: 'cdk:cloud-assembly', properties: { directoryName: sub, displayName: `Tollgate-Pipeline/${s.stage}` } };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ artifacts }));
  return dir;
}

const KEY_V1 = [{ AttributeName: 'pk', KeyType: 'HASH' }];
const KEY_V2 = [{ AttributeName: 'id', KeyType: 'HASH' }];
const service = (key: unknown, extra: Resources = {}): Resources => ({
  ItemsTable5AAC2C46: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: key, BillingMode: 'PAY_PER_REQUEST' } },
  ApiHandler5E7490E8: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'x' } },
  ...extra,
});

let dir: string;
let cwd: string;
beforeEach(() => {
  cwd = process.cwd();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-guard-'));
  process.chdir(dir);
  writeAssembly(join(dir, 'baseline'), [
    { stage: 'Dev', stackName: 'Dev-Service', account: '222222222222', resources: service(KEY_V1) },
    { stage: 'Prod', stackName: 'Prod-Service', account: '333333333333', resources: service(KEY_V1, { JobsQueue: { Type: 'AWS::SQS::Queue', Properties: {} } }) },
  ]);
  writeAssembly(join(dir, 'cdk.out'), [
    { stage: 'Dev', stackName: 'Dev-Service', account: '222222222222', resources: service(KEY_V1) },
    { stage: 'Prod', stackName: 'Prod-Service', account: '333333333333', resources: service(KEY_V2, { JobsQueue: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } } }) },
  ]);
});
afterEach(() => process.chdir(cwd));

describe('tollgate guard --baseline (offline)', () => {
  test('a key schema change and a queue made FIFO in prod: exit 1, naming stack, logical ID, type and property', async () => {
    const { code, out } = await runCli(['guard', '--baseline', 'baseline']);
    expect(code).toBe(1);
    expect(out[0]).toBe('fail: 2 stateful resource(s) would be replaced or removed');
    expect(out[1]).toMatch(/^ {2}BLOCKED Prod-Service ItemsTable5AAC2C46 \(AWS::DynamoDB::Table\) replaced: .*forced by KeySchema \(Always\)$/);
    expect(out[2]).toMatch(/JobsQueue \(AWS::SQS::Queue\).*FifoQueue \(Always\)$/);
  });

  test('text output (golden file)', async () => {
    expectGolden('guard', (await runCli(['guard', '--baseline', 'baseline'])).out);
  });

  test('--stage dev sees only dev, which changes nothing stateful: exit 0', async () => {
    const { code, out } = await runCli(['guard', '--stage', 'dev', '--baseline', 'baseline']);
    expect({ code, out }).toEqual({ code: 0, out: ['pass: no stateful resource is replaced or removed unannounced (0 resource changes inspected)'] });
  });

  test('an allow-list entry allows its replacement (announced); the other still fails', async () => {
    writeFileSync('tollgate-allow-replace.json', JSON.stringify([{ stack: 'Prod-Service', logicalId: 'ItemsTable5AAC2C46', reason: 'key v2, migrated by job 42' }]));
    const { code, out } = await runCli(['guard', '--baseline', 'baseline', '--json']);
    expect(code).toBe(1);
    const { command, result } = JSON.parse(out.join('\n'));
    expect(command).toBe('guard');
    expect(result.allowed).toEqual([expect.objectContaining({ logicalId: 'ItemsTable5AAC2C46', note: 'allowed (announced): key v2, migrated by job 42' })]);
    expect(result.blocked.map((f: { logicalId: string }) => f.logicalId)).toEqual(['JobsQueue']);
  });

  test('bad input: one line naming the field, exit 2', async () => {
    expect((await runCli(['guard', '--stage', 'qa', '--baseline', 'baseline'])).code).toBe(2);
    expect((await runCli(['guard', '--baseline', 'nowhere'])).err[0]).toMatch(/nowhere is not a cloud assembly/);
    writeFileSync('tollgate-allow-replace.json', '[{"stack":"Prod-Service"}]');
    const bad = await runCli(['guard', '--baseline', 'baseline']);
    expect(bad).toMatchObject({ code: 2, err: ['tollgate: tollgate-allow-replace.json: [0].logicalId must be a non-empty string, got undefined'] });
  });
});

describe('tollgate guard against the deployed templates (GetTemplate)', () => {
  const cfn = mockClient(CloudFormationClient);
  const sts = mockClient(STSClient);
  beforeEach(() => {
    cfn.reset();
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Account: '333333333333' });
  });
  afterAll(() => {
    cfn.restore();
    sts.restore();
  });

  test('compares with the template as deployed (Original); a never-deployed stack has nothing to lose', async () => {
    cfn.on(GetTemplateCommand, { StackName: 'Prod-Service' }).resolves({ TemplateBody: JSON.stringify({ Resources: service(KEY_V1) }) });
    expect((await runCli(['guard', '--stage', 'prod'])).code).toBe(1);
    expect(cfn.commandCalls(GetTemplateCommand)[0].args[0].input).toEqual({ StackName: 'Prod-Service', TemplateStage: 'Original' });
    cfn.on(GetTemplateCommand).rejects(Object.assign(new Error('Stack with id Prod-Service does not exist'), { name: 'ValidationError' }));
    expect((await runCli(['guard', '--stage', 'prod'])).code).toBe(0);
  });

  test('credentials for another account, or an unreadable template: cannot decide, exit 2', async () => {
    const wrong = await runCli(['guard', '--stage', 'dev']);
    expect(wrong).toMatchObject({ code: 2, err: [expect.stringMatching(/credentials are for account 333333333333, Dev-Service deploys to 222222222222/)] });
    cfn.on(GetTemplateCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    expect((await runCli(['guard', '--stage', 'prod'])).err[0]).toMatch(/^tollgate: cannot decide: Prod-Service's deployed template cannot be read \(Throttling: Rate exceeded\)/);
  });
});
