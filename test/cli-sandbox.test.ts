import * as path from 'node:path';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStacksCommand,
  Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import type { SandboxSummary } from '../cli/sandbox/stacks';
import { PROJECT_ROOT } from '../cli/project';
import * as prompt from '../cli/prompt';
import { cdkCommandLine } from '../cli/sandbox/cdk-invocation';
import * as checkout from '../cli/sandbox/checkout';
import * as processes from '../cli/sandbox/process';
import { deleted, updated, waitForStacks } from '../cli/sandbox/stacks';
import { NOW, clearTollgateEnv, run } from './cli-fixture';
import { textContext } from './cli-harness';
import { expectGolden } from './golden';

jest.mock('../cli/prompt', () => ({ isInteractive: jest.fn(), confirm: jest.fn() }));
jest.mock('../cli/sandbox/process', () => ({ runAttached: jest.fn(), git: jest.fn() }));
jest.mock('../cli/sandbox/checkout', () => ({ withRefCheckout: jest.fn() }));
const runAttached = processes.runAttached as jest.Mock;
const withRefCheckout = checkout.withRefCheckout as jest.Mock;
const isInteractive = prompt.isInteractive as jest.Mock;

const cfn = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const SANDBOX_ARN = 'arn:aws:sts::444444444444:assumed-role/Developer/alice';
const CDK = path.join(PROJECT_ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk');

function stack(name: string, tags: Record<string, string>, extra: Partial<Stack> = {}): Stack {
  return {
    StackName: name,
    StackId: `arn:aws:cloudformation:us-east-1:444444444444:stack/${name}/id-${name}`,
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date('2026-11-19T10:30:00Z'),
    Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    ...extra,
  };
}
const aliceStack = stack('alice-Service', { 'tollgate:sandbox': 'alice', 'tollgate:owner': 'alice', 'tollgate:expires': '2026-11-26T10:30:00Z' }, {
  Parameters: [{ ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' }],
});
const bobStack = stack('bob-Service', { 'tollgate:sandbox': 'bob', 'tollgate:owner': 'bob.builder', 'tollgate:expires': '2026-11-21T00:00:00Z' }, { CreationTime: new Date('2026-11-02T10:30:00Z') });
const carolStack = stack('carol-Service', { 'tollgate:sandbox': 'carol', 'tollgate:owner': 'carol' }, { CreationTime: new Date('2026-11-22T09:00:00Z') });
const devStack = stack('Dev-Service', {});

beforeEach(() => {
  clearTollgateEnv();
  cfn.reset();
  sts.reset();
  runAttached.mockReset().mockResolvedValue(0);
  withRefCheckout.mockReset().mockImplementation((_ctx, _ref, work) => work('/tmp/tollgate-sandbox-rc'));
  isInteractive.mockReset().mockReturnValue(false);
  sts.on(GetCallerIdentityCommand).resolves({ Account: '444444444444', Arn: SANDBOX_ARN });
  cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [devStack, aliceStack, bobStack, carolStack] });
});

describe('the cdk command line (pure)', () => {
  test('deploy: the pinned CLI, only the sandbox stacks, its name and expiry as context, offline-safe', () => {
    expect(cdkCommandLine({ action: 'deploy', sandbox: 'alice', projectDir: '/src/tollgate', expires: '2026-11-29T10:30:00Z' })).toEqual({
      file: process.execPath,
      args: [
        '/src/tollgate/node_modules/aws-cdk/bin/cdk',
        'deploy',
        'alice/*',
        '-c',
        'sandbox=alice',
        '--exclusively',
        '-c',
        'sandboxExpires=2026-11-29T10:30:00Z',
        '--lookups=false',
        '--no-notices',
      ],
      cwd: '/src/tollgate',
      env: { CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
  });

  test('deploy --hotswap falls back to CloudFormation for what cannot be hotswapped', () => {
    expect(cdkCommandLine({ action: 'deploy', sandbox: 'bob', projectDir: '/p', hotswap: true }).args).toContain('--hotswap-fallback');
    expect(cdkCommandLine({ action: 'deploy', sandbox: 'bob', projectDir: '/p' }).args).not.toContain('--hotswap-fallback');
  });

  test('diff: no expiry, no hotswap', () => {
    expect(cdkCommandLine({ action: 'diff', sandbox: 'bob', projectDir: '/p', hotswap: true, expires: 'x' }).args).toEqual([
      '/p/node_modules/aws-cdk/bin/cdk',
      'diff',
      'bob/*',
      '-c',
      'sandbox=bob',
      '--exclusively',
      '--lookups=false',
      '--no-notices',
    ]);
  });
});

describe('sandbox deploy and diff', () => {
  test('deploy runs cdk in this clone with an expiry seven days out', async () => {
    const result = await run('sandbox', 'deploy', '--name', 'alice');
    expect(result.code).toBe(0);
    expect(runAttached).toHaveBeenCalledWith(cdkCommandLine({ action: 'deploy', sandbox: 'alice', projectDir: PROJECT_ROOT, expires: '2026-11-29T10:30:00Z' }));
    expect(result.out[0]).toBe(`Deploying sandbox alice (stacks alice/*) in account 444444444444 region us-east-1 as ${SANDBOX_ARN}; it expires 2026-11-29T10:30:00Z`);
    expect(result.out[result.out.length - 1]).toContain('Sandbox alice is up until 2026-11-29T10:30:00Z');
    // Progress and its last line go to standard error; the clock of the test stands still.
    expect(result.err).toEqual(['deployed sandbox alice in 0 s']);
  });

  test('deploy --ref deploys that ref from its temporary worktree; --days and --hotswap are passed on', async () => {
    const result = await run('sandbox', 'deploy', '--name', 'rc', '--ref', 'v1.2.0-rc1', '--days', '2', '--hotswap');
    expect(result.code).toBe(0);
    expect(withRefCheckout.mock.calls[0][1]).toBe('v1.2.0-rc1');
    expect(runAttached).toHaveBeenCalledWith(
      cdkCommandLine({ action: 'deploy', sandbox: 'rc', projectDir: '/tmp/tollgate-sandbox-rc', expires: '2026-11-24T10:30:00Z', hotswap: true }),
    );
  });

  test('the sandbox name defaults to the OS user name', async () => {
    await run('sandbox', 'diff');
    const args: string[] = runAttached.mock.calls[0][0].args;
    expect(args[0]).toBe(CDK);
    expect(args[2]).toMatch(/^[a-z][a-z0-9-]{0,19}\/\*$/);
  });

  test('a failing cdk is reported with its exit code, exit 1', async () => {
    runAttached.mockResolvedValue(3);
    const result = await run('sandbox', 'deploy', '--name', 'alice');
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['cdk deploy of sandbox alice failed after 0 s', 'tollgate: cdk deploy failed (exit 3); its output above says why']);
  });

  test('credentials for the prod account are refused before cdk runs, exit 2', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '333333333333', Arn: 'arn:aws:sts::333333333333:assumed-role/Admin/alice' });
    const result = await run('sandbox', 'deploy', '--name', 'alice');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: refusing to touch sandboxes in the prod account 333333333333 (credentials arn:aws:sts::333333333333:assumed-role/Admin/alice); switch AWS_PROFILE to the sandbox account 444444444444',
    ]);
    expect(runAttached).not.toHaveBeenCalled();
  });

  test('credentials for another account are refused too', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: 'arn:aws:iam::111111111111:user/alice' });
    const result = await run('sandbox', 'diff', '--name', 'alice');
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(
      'tollgate: wrong account: your credentials (arn:aws:iam::111111111111:user/alice) are for account 111111111111, but the sandbox account is 444444444444; switch AWS_PROFILE',
    );
  });

  test.each([
    [['sandbox', 'deploy', '--name', 'Alice!'], 'tollgate: --name must match [a-z][a-z0-9-]{0,19}, got "Alice!"'],
    [['sandbox', 'deploy', '--name', 'prod'], 'tollgate: --name must not be "dev" or "prod", got "prod"'],
    [['sandbox', 'deploy', '--days', '0'], 'tollgate: --days must be a whole number of days from 1 to 30, got "0"'],
    [['sandbox', 'renew', '--days', '1.5'], 'tollgate: --days must be a whole number of days from 1 to 30, got "1.5"'],
    [['sandbox', 'launch'], "error: unknown command 'launch'"],
  ])('bad arguments %j: one line, exit 2, no AWS call', async (args, line) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(line);
    expect(sts.calls()).toHaveLength(0);
  });
});

describe('sandbox list', () => {
  test('every sandbox with owner, age, expiry and what the cleaner will do; never other stacks', async () => {
    const result = await run('sandbox', 'list');
    expect(result.code).toBe(0);
    expectGolden('sandbox-list', result.out);
  });

  test('--json', async () => {
    const envelope = JSON.parse((await run('sandbox', 'list', '--json')).stdout) as { command: string; result: SandboxSummary[] };
    expect(envelope.command).toBe('sandbox list');
    const sandboxes = envelope.result;
    expect(sandboxes.map((s) => s.name)).toEqual(['alice', 'bob', 'carol']);
    expect(sandboxes[1]).toEqual({
      name: 'bob',
      owner: 'bob.builder',
      created: '2026-11-02T10:30:00.000Z',
      expires: '2026-11-21T00:00:00Z',
      stacks: [
        {
          stackName: 'bob-Service',
          stackId: bobStack.StackId,
          status: 'UPDATE_COMPLETE',
          created: '2026-11-02T10:30:00.000Z',
          cleaner: { action: 'delete', reason: 'expired 2026-11-21T00:00:00Z' },
        },
      ],
    });
  });

  test('an empty account says so', async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [devStack] });
    expect((await run('sandbox', 'list')).out).toEqual(['No sandboxes in account 444444444444 region us-east-1.']);
  });
});

describe('sandbox renew', () => {
  test('re-tags the stacks with the new expiry on the previous template and parameters, then waits', async () => {
    cfn.on(UpdateStackCommand).resolves({ StackId: aliceStack.StackId });
    cfn.on(DescribeStacksCommand, { StackName: aliceStack.StackId }).resolves({ Stacks: [{ ...aliceStack, StackStatus: 'UPDATE_COMPLETE' }] });
    const result = await run('sandbox', 'renew', '--name', 'alice', '--days', '14');
    expect(result.code).toBe(0);
    expect(cfn.commandCalls(UpdateStackCommand).map((c) => c.args[0].input)).toEqual([
      {
        StackName: aliceStack.StackId,
        UsePreviousTemplate: true,
        Parameters: [{ ParameterKey: 'BootstrapVersion', UsePreviousValue: true }],
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        Tags: [
          { Key: 'tollgate:sandbox', Value: 'alice' },
          { Key: 'tollgate:owner', Value: 'alice' },
          { Key: 'tollgate:expires', Value: '2026-12-06T10:30:00Z' },
        ],
      },
    ]);
    expect(result.out).toEqual([
      'Renewing sandbox alice in account 444444444444 region us-east-1 until 2026-12-06T10:30:00Z',
      '  alice-Service: UPDATE_COMPLETE',
      'Sandbox alice now expires 2026-12-06T10:30:00Z.',
    ]);
  });

  test('a stack that is busy is refused before anything changes', async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [{ ...aliceStack, StackStatus: 'UPDATE_IN_PROGRESS' }] });
    const result = await run('sandbox', 'renew', '--name', 'alice');
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['tollgate: alice-Service is UPDATE_IN_PROGRESS; try again when it has settled. Nothing was changed']);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });

  test('an unknown sandbox is an error, exit 1', async () => {
    const result = await run('sandbox', 'renew', '--name', 'zoe');
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['tollgate: sandbox zoe has no stacks in account 444444444444 region us-east-1; nothing to renew']);
  });
});

describe('sandbox destroy', () => {
  test('--yes deletes every stack of the sandbox by its id and waits until they are gone', async () => {
    cfn.on(DeleteStackCommand).resolves({});
    cfn.on(DescribeStacksCommand, { StackName: aliceStack.StackId }).resolves({ Stacks: [{ ...aliceStack, StackStatus: 'DELETE_COMPLETE' }] });
    const result = await run('sandbox', 'destroy', '--name', 'alice', '--yes');
    expect(result.code).toBe(0);
    expect(cfn.commandCalls(DeleteStackCommand).map((c) => c.args[0].input)).toEqual([{ StackName: aliceStack.StackId }]);
    expect(result.out).toEqual([
      'Sandbox alice in account 444444444444 region us-east-1: alice-Service',
      '  alice-Service: DELETE_COMPLETE',
      'Sandbox alice is gone.',
    ]);
  });

  test('never a stack tagged for the sandbox under another name', async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [{ ...devStack, Tags: [{ Key: 'tollgate:sandbox', Value: 'alice' }] }] });
    const result = await run('sandbox', 'destroy', '--name', 'alice', '--yes');
    expect(result.out).toEqual(['Sandbox alice has no stacks in account 444444444444 region us-east-1; nothing to destroy.']);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  test('without a terminal and without --yes it refuses, exit 2', async () => {
    const result = await run('sandbox', 'destroy', '--name', 'alice');
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tollgate: refusing without confirmation: no terminal to ask on; add --yes to confirm. Nothing was changed']);
    expect(cfn.commandCalls(DeleteStackCommand)).toHaveLength(0);
  });

  test('a deletion that fails says which stack and why, exit 1', async () => {
    cfn.on(DeleteStackCommand).resolves({});
    cfn
      .on(DescribeStacksCommand, { StackName: aliceStack.StackId })
      .resolves({ Stacks: [{ ...aliceStack, StackStatus: 'DELETE_FAILED', StackStatusReason: 'The bucket is not empty' }] });
    const result = await run('sandbox', 'destroy', '--name', 'alice', '--yes');
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['deleting alice-Service failed after 0 s', 'tollgate: not everything was deleted: alice-Service: DELETE_FAILED (The bucket is not empty)']);
  });
});

test('waiting prints each status change once and polls with the given delay until every stack is final', async () => {
  const client = new CloudFormationClient({ region: 'us-east-1' });
  cfn
    .on(DescribeStacksCommand, { StackName: aliceStack.StackId })
    .resolvesOnce({ Stacks: [{ ...aliceStack, StackStatus: 'DELETE_IN_PROGRESS' }] })
    .resolvesOnce({ Stacks: [{ ...aliceStack, StackStatus: 'DELETE_IN_PROGRESS' }] })
    .rejects(Object.assign(new Error('Stack with id alice-Service does not exist'), { name: 'ValidationError' }));
  const out: string[] = [];
  const sleeps: number[] = [];
  const failed = await waitForStacks(client, [aliceStack], deleted, textContext((l) => out.push(l), () => undefined, () => NOW), {
    delayMs: 5000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  expect(failed).toEqual([]);
  expect(out).toEqual(['  alice-Service: DELETE_IN_PROGRESS', '  alice-Service: DELETE_COMPLETE']);
  expect(sleeps).toEqual([5000, 5000]);
});

test('the goals: what counts as done or failed', () => {
  expect(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED'].map(deleted)).toEqual(['wait', 'done', 'failed']);
  expect(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_ROLLBACK_COMPLETE', 'UPDATE_FAILED'].map(updated)).toEqual([
    'wait',
    'wait',
    'done',
    'failed',
    'failed',
  ]);
});

describe('sandbox test', () => {
  const JEST = path.join(PROJECT_ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  const outputs = [
    { OutputKey: 'ApiUrl', OutputValue: 'https://abc123.execute-api.us-east-1.amazonaws.com' },
    { OutputKey: 'TileServerUrl', OutputValue: 'http://tiles-1.us-east-1.elb.amazonaws.com' },
  ];
  const withOutputs = { ...aliceStack, Outputs: outputs };

  test("runs the integration tests' jest config against the endpoints in the stack's outputs", async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [devStack, withOutputs, bobStack] });
    const result = await run('sandbox', 'test', '--name', 'alice');
    expect(result.code).toBe(0);
    expect(runAttached).toHaveBeenCalledWith(
      {
        file: process.execPath,
        args: [JEST, '-c', 'jest.integration.config.js'],
        cwd: PROJECT_ROOT,
        env: { API_URL: outputs[0].OutputValue, TILE_SERVER_URL: outputs[1].OutputValue, AWS_REGION: 'us-east-1' },
      },
      { stdoutToStderr: false },
    );
    expect(result.out[result.out.length - 1]).toBe('Sandbox alice passes the integration tests.');
  });

  test('a failing test: exit 1, and the --json envelope says so; jest prints to standard error', async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [withOutputs] });
    runAttached.mockResolvedValue(1);
    const result = await run('sandbox', 'test', '--name', 'alice', '--json');
    expect(result.code).toBe(1);
    expect(runAttached.mock.calls[0][1]).toEqual({ stdoutToStderr: true });
    const envelope = JSON.parse(result.stdout) as { command: string; result: { passed: boolean; exitCode: number; stackName: string } };
    expect(envelope.command).toBe('sandbox test');
    expect(envelope.result).toMatchObject({ passed: false, exitCode: 1, stackName: 'alice-Service' });
  });

  test('no stack, or one without the outputs: one line, exit 2, no jest', async () => {
    cfn.on(DescribeStacksCommand, {}).resolves({ Stacks: [devStack, aliceStack] });
    const missingOutputs = await run('sandbox', 'test', '--name', 'alice');
    expect(missingOutputs.code).toBe(2);
    expect(missingOutputs.err).toEqual(['tollgate: alice-Service in account 444444444444 region us-east-1 has no output ApiUrl; redeploy it (`tollgate sandbox deploy --name alice`)']);
    const none = await run('sandbox', 'test', '--name', 'dave');
    expect(none.code).toBe(2);
    expect(none.err).toEqual(['tollgate: sandbox dave has no stack dave-Service in account 444444444444 region us-east-1; deploy it first (`tollgate sandbox deploy --name dave`)']);
    expect(runAttached).not.toHaveBeenCalled();
  });
});
