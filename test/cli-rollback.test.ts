import {
  CodePipelineClient,
  GetPipelineExecutionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  PipelineExecutionSummary,
  RollbackStageCommand,
} from '@aws-sdk/client-codepipeline';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import * as prompt from '../cli/prompt';
import { CALLER_ARN, clearTollgateEnv, EXECUTIONS, MANIFEST_PARAMETER, NOW, manifestReply, pipelineState, run, stageIn } from './cli-fixture';
import { expectGolden } from './golden';
import { main } from '../cli/main';

jest.mock('../cli/prompt', () => ({ isInteractive: jest.fn(), confirm: jest.fn() }));
const isInteractive = prompt.isInteractive as jest.Mock;
const confirm = prompt.confirm as jest.Mock;

const codePipeline = mockClient(CodePipelineClient);
const sts = mockClient(STSClient);
const ssm = mockClient(SSMClient);
const [e3, e2, e1] = EXECUTIONS.map((e) => e.pipelineExecutionId!);

function prodRan(executionId: string, status: 'Succeeded' | 'Failed' | 'InProgress', type: 'STANDARD' | 'ROLLBACK' = 'STANDARD') {
  const state = pipelineState();
  stageIn(state, 'Prod').latestExecution = { pipelineExecutionId: executionId, status, type };
  codePipeline.on(GetPipelineStateCommand).resolves(state);
}

function history(executions: PipelineExecutionSummary[]) {
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: executions });
}

beforeEach(() => {
  clearTollgateEnv();
  codePipeline.reset();
  sts.reset();
  ssm.reset();
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply());
  isInteractive.mockReset().mockReturnValue(false);
  confirm.mockReset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAOPERATOR', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2099-01-01T00:00:00Z') } });
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState());
  history(EXECUTIONS);
  codePipeline.on(GetPipelineExecutionCommand).callsFake(({ pipelineExecutionId }) => {
    const summary = EXECUTIONS.find((e) => e.pipelineExecutionId === pipelineExecutionId);
    return { pipelineExecution: { pipelineExecutionId, pipelineVersion: 7, status: summary?.status, artifactRevisions: summary?.sourceRevisions?.map((r) => ({ name: 'Source', ...r })) } };
  });
  codePipeline.on(RollbackStageCommand).resolves({ pipelineExecutionId: 'r9' });
});

const rollbackCalls = () => codePipeline.commandCalls(RollbackStageCommand).map((c) => c.args[0].input);

test('--yes rolls Prod back to the release before the one it runs, after showing both', async () => {
  const result = await run('rollback', '--reason', 'search is slow', '--yes');
  expect(result.err).toEqual([]);
  expect(result.code).toBe(0);
  expectGolden('rollback', result.out);
  expect(rollbackCalls()).toEqual([{ pipelineName: 'Tollgate', stageName: 'Prod', targetPipelineExecutionId: e1 }]);
  expect(confirm).not.toHaveBeenCalled();
});

test('when the last Prod deployment failed, the target is the last successful release', async () => {
  prodRan(e3, 'Failed');
  await run('rollback', '--reason', 'broken canary', '--yes');
  expect(rollbackCalls()).toEqual([{ pipelineName: 'Tollgate', stageName: 'Prod', targetPipelineExecutionId: e2 }]);
});

test('after a rollback, another one goes further back than the restored release', async () => {
  prodRan('r1', 'Succeeded', 'ROLLBACK');
  history([
    { pipelineExecutionId: 'r1', status: 'Succeeded', executionType: 'ROLLBACK', rollbackMetadata: { rollbackTargetPipelineExecutionId: e2 } },
    ...EXECUTIONS,
  ]);
  const result = await run('rollback', '--reason', 'still slow', '--yes');
  expect(result.out[1]).toBe(`  now:          Succeeded rollback r1 to execution ${e2} 2222222 "Faster search"`);
  expect(rollbackCalls()).toEqual([{ pipelineName: 'Tollgate', stageName: 'Prod', targetPipelineExecutionId: e1 }]);
});

test.each<[string, () => void, string]>([
  ['Prod has never run', () => codePipeline.on(GetPipelineStateCommand).resolves({ pipelineVersion: 7, stageStates: [{ stageName: 'Prod' }] }), 'Prod has never run: there is nothing to roll back to'],
  ['only failed releases are older', () => prodRan(e1, 'Succeeded'), `no successful release older than ${e1} among the last 4 executions`],
  ['Prod runs a release older than the history', () => prodRan('ancient', 'Succeeded'), 'execution ancient (in Prod) is not among the last 4 executions'],
])('nothing to roll back to (%s): says why, exit 2 (cannot start), no RollbackStage', async (_what, arrange, reason) => {
  arrange();
  const result = await run('rollback', '--reason', 'r', '--yes');
  expect(result.code).toBe(2);
  expect(result.err).toEqual([`tollgate: cannot roll back Prod: ${reason}; nothing was changed`]);
  expect(rollbackCalls()).toEqual([]);
});

test('a target from an older pipeline version is refused before RollbackStage would be', async () => {
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState({ pipelineVersion: 8 }));
  const result = await run('rollback', '--reason', 'r', '--yes');
  expect(result.code).toBe(2);
  expect(result.err[0]).toMatch(new RegExp(`^tollgate: cannot roll back: execution ${e1} ran on pipeline version 7, the pipeline is now at version 8`));
  expect(rollbackCalls()).toEqual([]);
});

describe('confirmation', () => {
  test('without a terminal and without --yes it refuses, exit 2, after showing the target', async () => {
    const result = await run('rollback', '--reason', 'r');
    expect(result.code).toBe(2);
    expect(result.out[2]).toContain(`roll back to: execution ${e1}`);
    expect(result.err).toEqual(['tollgate: refusing to roll back without confirmation: no terminal to ask on; add --yes to confirm. Nothing was changed']);
    expect(rollbackCalls()).toEqual([]);
  });

  test('on a terminal it asks, and "no" changes nothing (exit 1)', async () => {
    isInteractive.mockReturnValue(true);
    confirm.mockResolvedValue(false);
    const result = await run('rollback', '--reason', 'r');
    expect(confirm).toHaveBeenCalledWith(`Roll Prod back to execution ${e1}?`);
    expect(result.code).toBe(1);
    expect(result.out).toContain('Not confirmed; nothing was changed.');
    expect(rollbackCalls()).toEqual([]);
  });

  test('on a terminal, "yes" rolls back', async () => {
    isInteractive.mockReturnValue(true);
    confirm.mockResolvedValue(true);
    const result = await run('rollback', '--reason', 'r');
    expect(result.code).toBe(0);
    expect(rollbackCalls()).toHaveLength(1);
  });
});

test('CodePipeline refusing the rollback is reported as it said it, exit 1', async () => {
  codePipeline.on(RollbackStageCommand).rejects(Object.assign(new Error('Stage Prod is in progress'), { name: 'UnableToRollbackStageException', $metadata: {} }));
  const result = await run('rollback', '--reason', 'r', '--yes');
  expect(result.code).toBe(1);
  expect(result.err).toEqual(['tollgate: UnableToRollbackStageException: Stage Prod is in progress']);
});

describe('--wait', () => {
  beforeEach(() => jest.useFakeTimers({ now: NOW, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  /** Runs `rollback --wait` with a clock that moves with the fake timers; the rollback runs `polls` times, then ends `status`. */
  async function waitFor(status: string, polls: number) {
    let asked = 0;
    codePipeline.on(GetPipelineExecutionCommand, { pipelineExecutionId: 'r9' }).callsFake(() => ({ pipelineExecution: { status: ++asked > polls ? status : 'InProgress' } }));
    const out: string[] = [];
    const err: string[] = [];
    const done = main(['rollback', '--reason', 'r', '--yes', '--wait'], { out: (l) => out.push(l), err: (l) => err.push(l), now: () => new Date() });
    for (let i = 0; i < 20; i++) await jest.advanceTimersByTimeAsync(10_000);
    return { code: await done, out, err };
  }

  test('heartbeats on standard error while the rollback runs, then how long it took', async () => {
    const result = await waitFor('Succeeded', 7);
    expect(result.code).toBe(0);
    expect(result.out.at(-1)).toBe(`Rollback started by ${CALLER_ARN}: execution r9 (reason: r).`);
    expect(result.err).toEqual([
      'still rolling back Prod (execution r9): 30 s',
      'still rolling back Prod (execution r9): 1 min',
      'rolled back Prod in 1 min 10 s',
    ]);
  });

  test('a rollback that fails: how long it ran, and exit 1', async () => {
    const result = await waitFor('Failed', 1);
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      'the rollback of Prod ended Failed after 10 s',
      'tollgate: rollback execution r9 did not succeed; `tollgate status` says where Prod stands',
    ]);
  });
});
