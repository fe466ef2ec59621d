import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  EnableStageTransitionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { transitionReason } from '../cli/commands/stop';
import { CALLER_ARN, clearTollgateEnv, EXECUTIONS, pipelineState, run, stageIn } from './cli-fixture';

const codePipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });

beforeEach(() => {
  clearTollgateEnv();
  for (const m of [codePipeline, ssm, sts]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState());
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: EXECUTIONS });
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
});

describe('stop', () => {
  test('is safe to repeat: an approval already decided is not an error', async () => {
    codePipeline.on(PutApprovalResultCommand).rejects(awsError('ApprovalAlreadyCompletedException'));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(result.out).toContain('  done      reject pending approvals (the bake): Dev/Bake was already decided');
    expect(result.out[result.out.length - 1]).toBe('Nothing reaches Prod until `tollgate resume --reason "..."`.');
  });

  test('rejects every waiting approval, wherever it sits', async () => {
    const state = pipelineState();
    stageIn(state, 'Prod').actionStates!.push({ actionName: 'ManualCheck', latestExecution: { status: 'InProgress', token: 'token-prod' } });
    codePipeline.on(GetPipelineStateCommand).resolves(state);
    codePipeline.on(PutApprovalResultCommand).resolves({});
    await run('stop', '--reason', 'incident 42');
    expect(codePipeline.commandCalls(PutApprovalResultCommand).map((c) => [c.args[0].input.stageName, c.args[0].input.actionName, c.args[0].input.token])).toEqual([
      ['Dev', 'Bake', 'token-e3'],
      ['Prod', 'ManualCheck', 'token-prod'],
    ]);
  });

  test('with nothing pending it says so', async () => {
    const state = pipelineState();
    stageIn(state, 'Dev').actionStates![1] = { actionName: 'Bake', latestExecution: { status: 'Failed' } };
    codePipeline.on(GetPipelineStateCommand).resolves(state);
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.out).toContain('  done      reject pending approvals (the bake): none pending');
    expect(codePipeline.commandCalls(PutApprovalResultCommand)).toHaveLength(0);
  });

  test('--abort also stops and abandons every in-flight execution, tolerating one already stopping', async () => {
    const inFlight = [
      { ...EXECUTIONS[0] },
      { pipelineExecutionId: 'e4', status: 'InProgress' as const },
    ];
    codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: [...inFlight, ...EXECUTIONS.slice(1)] });
    codePipeline
      .on(StopPipelineExecutionCommand, { pipelineExecutionId: 'e4' })
      .rejects(awsError('DuplicatedStopRequestException'))
      .on(StopPipelineExecutionCommand, { pipelineExecutionId: EXECUTIONS[0].pipelineExecutionId })
      .resolves({});
    const result = await run('stop', '--reason', 'incident 42', '--abort');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(StopPipelineExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { pipelineName: 'Tollgate', pipelineExecutionId: EXECUTIONS[0].pipelineExecutionId, abandon: true, reason: 'incident 42' },
      { pipelineName: 'Tollgate', pipelineExecutionId: 'e4', abandon: true, reason: 'incident 42' },
    ]);
    expect(result.out.slice(-4, -1)).toEqual([
      '  done      stop in-flight executions (abandon)',
      `              stopped and abandoned ${EXECUTIONS[0].pipelineExecutionId}`,
      '              e4 was already stopping or finished',
    ]);
  });

  test('without --abort nothing is stopped', async () => {
    await run('stop', '--reason', 'incident 42');
    expect(codePipeline.commandCalls(StopPipelineExecutionCommand)).toHaveLength(0);
  });

  test('a pipeline without a Prod stage is refused before anything is written', async () => {
    codePipeline.on(GetPipelineStateCommand).resolves({ stageStates: [{ stageName: 'Source' }] });
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tollgate: pipeline Tollgate has no stage named Prod; nothing was changed']);
    expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand)).toHaveLength(0);
  });

  test.each([
    [['stop'], "error: required option '--reason <text>' not specified"],
    [['stop', '--reason', ''], 'tollgate: --reason must be 1-200 characters, got "" (0 characters)'],
    [['stop', '--reason', 'x'.repeat(201)], `tollgate: --reason must be 1-200 characters, got "${'x'.repeat(40)}…" (201 characters)`],
    [['stop', '--reason', 'r', '--force'], "error: unknown option '--force'"],
    [['resume'], "error: required option '--reason <text>' not specified"],
  ])('bad arguments %j: one clear line, exit 2, no AWS call', async (args, line) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(line);
    expect(sts.calls()).toHaveLength(0);
  });

  test('the transition reason keeps only what DisableStageTransition accepts, at most 300 characters', () => {
    const identity = { account: '111111111111', arn: CALLER_ARN };
    expect(transitionReason(identity, 'incident #42: "checkout" 5xx, see https://x/y')).toBe('tollgate stop by alice@example.com - incident 42 checkout 5xx see https x y');
    expect(transitionReason(identity, 'a'.repeat(200))).toMatch(/^[a-zA-Z0-9!@ ().*?-]{1,300}$/);
    expect(transitionReason({ ...identity, arn: 'arn:aws:iam::111111111111:root' }, 'x')).toBe('tollgate stop by arn aws iam 111111111111 root - x');
  });
});

describe('resume', () => {
  test('enables the transition, then writes halted:false; approves nothing', async () => {
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand)[0].args[0].input).toEqual({ pipelineName: 'Tollgate', stageName: 'Prod', transitionType: 'Inbound' });
    expect(JSON.parse(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!)).toMatchObject({ halted: false, reason: 'fixed', by: CALLER_ARN });
    expect(codePipeline.commandCalls(PutApprovalResultCommand)).toHaveLength(0);
  });

  test('if the halt flag cannot be cleared, it says the transition is open but the gate still halts, exit 1', async () => {
    ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:PutParameter'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(result.out.slice(2)).toEqual([
      '  done      enable the transition into Prod: enabled',
      '  FAILED    clear halt flag /tollgate/Tollgate/halt: AccessDeniedException: not authorized to perform: ssm:PutParameter',
    ]);
  });
});
