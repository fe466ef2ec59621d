import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  EnableStageTransitionCommand,
  GetPipelineStateCommand,
  ListPipelineExecutionsCommand,
  PutApprovalResultCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { resumeSummary } from '../cli/commands/resume';
import { stopSummary, transitionReason } from '../cli/commands/stop';
import type { StepOutcome } from '../cli/steps';
import { expectGolden } from './golden';
import { CALLER_ARN, clearTollgateEnv, EXECUTIONS, MANIFEST_PARAMETER, manifestReply, pipelineState, run, stageIn } from './cli-fixture';

const codePipeline = mockClient(CodePipelineClient);
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);
const sns = mockClient(SNSClient);

const awsError = (name: string, message = name) => Object.assign(new Error(message), { name });
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events';
/** NOW as every record and announcement writes it: ISO seconds. */
const AT = '2026-11-22T10:30:00Z';
const published = () => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
const halts = () => ssm.commandCalls(PutParameterCommand).map((c) => JSON.parse(c.args[0].input.Value!));
/** The lines `stop` (halted) or `resume` (resumed) announces before the outcomes of its steps. */
const announcementHead = (did: 'halted' | 'resumed', reason: string) => [
  `${CALLER_ARN} ${did} releases to Prod of pipeline Tollgate with tollgate ${did === 'halted' ? 'stop' : 'resume'}.`,
  `Reason: ${reason}`,
  `At: ${AT}`,
  'Steps:',
];

beforeEach(() => {
  clearTollgateEnv();
  for (const m of [codePipeline, ssm, sts, sns]) m.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: CALLER_ARN });
  sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAOPERATOR', SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date('2099-01-01T00:00:00Z') } });
  codePipeline.on(GetPipelineStateCommand).resolves(pipelineState());
  codePipeline.on(ListPipelineExecutionsCommand).resolves({ pipelineExecutionSummaries: EXECUTIONS });
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
  ssm.on(GetParameterCommand, { Name: MANIFEST_PARAMETER }).resolves(manifestReply());
  sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
});

describe('stop', () => {
  test('is safe to repeat: an approval already decided is not an error', async () => {
    codePipeline.on(PutApprovalResultCommand).rejects(awsError('ApprovalAlreadyCompletedException'));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(result.out).toContain('  done      reject pending approvals (the bakes): Dev/Bake was already decided');
    expect(result.out[result.out.length - 1]).toBe('Releases to Prod are stopped: nothing reaches Prod until `tollgate resume --reason "..."`.');
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

  test('rejects a waiting prod bake too, and says that Prod rolls back', async () => {
    codePipeline.on(GetPipelineStateCommand).resolves(pipelineState({ prodBaking: true }));
    codePipeline.on(PutApprovalResultCommand).resolves({});
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(PutApprovalResultCommand).map((c) => c.args[0].input)).toEqual([
      expect.objectContaining({ stageName: 'Dev', actionName: 'Bake', token: 'token-e3', result: { status: 'Rejected', summary: expect.stringMatching(/^Rejected by tollgate stop/) } }),
      expect.objectContaining({ stageName: 'Prod', actionName: 'ProdBake', token: 'token-e2', result: { status: 'Rejected', summary: expect.stringMatching(/^Rejected by tollgate stop/) } }),
    ]);
    expect(result.out).toEqual(
      expect.arrayContaining([
        '  done      reject pending approvals (the bakes)',
        '              rejected Dev/Bake',
        '              rejected Prod/ProdBake, the prod bake: Prod fails and rolls back to the last successful release',
      ]),
    );
  });

  test('with nothing pending it says so', async () => {
    const state = pipelineState();
    stageIn(state, 'Dev').actionStates![1] = { actionName: 'Bake', latestExecution: { status: 'Failed' } };
    codePipeline.on(GetPipelineStateCommand).resolves(state);
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.out).toContain('  done      reject pending approvals (the bakes): none pending');
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
    expect(result.out.slice(-5, -2)).toEqual([
      '  done      stop in-flight executions (abandon)',
      `              stopped and abandoned ${EXECUTIONS[0].pipelineExecutionId}`,
      '              e4 was already stopping or finished',
    ]);
  });

  test('announces on the release topic, last, who halted releases, why, when and what was done', async () => {
    codePipeline.on(PutApprovalResultCommand).resolves({});
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(result.out.slice(-2)).toEqual([
      `  done      announce on ${TOPIC}: published (message msg-1)`,
      'Releases to Prod are stopped: nothing reaches Prod until `tollgate resume --reason "..."`.',
    ]);
    expect(published()).toEqual([{ TopicArn: TOPIC, Subject: 'Tollgate Tollgate: releases to Prod stopped', Message: expect.any(String) }]);
    expect(published()[0].Message!.split('\n')).toEqual([
      ...announcementHead('halted', 'incident 42'),
      '  done      set halt flag /tollgate/Tollgate/halt: halted (the bake gate promotes nothing while it is set)',
      '  done      disable the transition into Prod: disabled',
      '  done      reject pending approvals (the bakes): rejected Dev/Bake',
    ]);
    // The deployment account's region: the client the other calls use.
    expect(await sns.commandCalls(PublishCommand)[0].thisValue.config.region()).toBe('us-east-1');
  });

  test('a step that failed is named in the announcement, whose subject says the stop is incomplete', async () => {
    codePipeline.on(DisableStageTransitionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: codepipeline:DisableStageTransition'));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(1);
    const [announcement] = published();
    expect(announcement.Subject).toBe('Tollgate Tollgate: releases to Prod stopped (incomplete)');
    expect(announcement.Message).toContain(`${CALLER_ARN} ran tollgate stop on releases to Prod of pipeline Tollgate, but not every step was done (see FAILED below).`);
    expect(announcement.Message).toContain('  FAILED    disable the transition into Prod: AccessDeniedException: not authorized to perform: codepipeline:DisableStageTransition');
    expect(result.out).toContain(`  done      announce on ${TOPIC}: published (message msg-1)`);
  });

  test('a failed announcement is a FAILED step, exit 1, and undoes nothing: the halt flag stays set', async () => {
    sns.on(PublishCommand).rejects(awsError('KMSAccessDeniedException', 'User is not authorized to perform: kms:GenerateDataKey'));
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(1);
    expect(result.out.slice(-2)).toEqual([
      '  done      reject pending approvals (the bakes): rejected Dev/Bake',
      `  FAILED    announce on ${TOPIC}: KMSAccessDeniedException: User is not authorized to perform: kms:GenerateDataKey`,
    ]);
    expect(result.err).toEqual([
      `tollgate: RELEASES ARE STOPPED, but not every step was done: announce on ${TOPIC} failed (KMSAccessDeniedException: User is not authorized to perform: kms:GenerateDataKey); fix the cause and run the same command again (it is safe to repeat); the team was not told: tell them yourself`,
    ]);
    expect(halts()).toEqual([{ halted: true, reason: 'incident 42', by: CALLER_ARN, at: AT }]);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand)).toHaveLength(1);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand)).toHaveLength(0);
  });

  test('the topic comes from --topic-arn, else TOLLGATE_TOPIC_ARN; one in another region gets a client of that region', async () => {
    process.env.TOLLGATE_TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:team-chat';
    await run('stop', '--reason', 'incident 42');
    await run('stop', '--reason', 'incident 42', '--topic-arn', 'arn:aws:sns:us-east-1:111111111111:pager');
    expect(published().map((p) => p.TopicArn)).toEqual(['arn:aws:sns:eu-west-1:111111111111:team-chat', 'arn:aws:sns:us-east-1:111111111111:pager']);
    expect(await sns.commandCalls(PublishCommand)[0].thisValue.config.region()).toBe('eu-west-1');
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
    [['stop', '--reason', ''], 'tollgate: --reason must be 1-500 characters, got "" (0 characters)'],
    [['stop', '--reason', 'x'.repeat(501)], `tollgate: --reason must be 1-500 characters, got "${'x'.repeat(40)}…" (501 characters)`],
    [['stop', '--reason', 'r', '--force'], "error: unknown option '--force'"],
    [['resume'], "error: required option '--reason <text>' not specified"],
    [['stop', '--reason', 'r', '--topic-arn', 'team-chat'], 'tollgate: --topic-arn (or TOLLGATE_TOPIC_ARN) must be an SNS topic ARN, got "team-chat"'],
    [['resume', '--reason', 'r', '--topic-arn', 'arn:aws:sqs:us-east-1:111111111111:q'], 'tollgate: --topic-arn (or TOLLGATE_TOPIC_ARN) must be an SNS topic ARN, got "arn:aws:sqs:us-east-1:111111111111:q"'],
  ])('bad arguments %j: one clear line, exit 2, no AWS call', async (args, line) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(line);
    expect(sts.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  test('a bad TOLLGATE_TOPIC_ARN is bad input too: exit 2, no AWS call', async () => {
    process.env.TOLLGATE_TOPIC_ARN = 'team-chat';
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(2);
    expect(result.err).toEqual(['tollgate: --topic-arn (or TOLLGATE_TOPIC_ARN) must be an SNS topic ARN, got "team-chat"']);
    expect(sts.calls()).toHaveLength(0);
  });

  test('the transition reason keeps only what DisableStageTransition accepts, at most 300 characters', () => {
    const identity = { account: '111111111111', arn: CALLER_ARN };
    expect(transitionReason(identity, 'incident #42: "checkout" 5xx, see https://x/y')).toBe('tollgate stop by alice@example.com - incident 42 checkout 5xx see https x y');
    expect(transitionReason(identity, 'a'.repeat(200))).toMatch(/^[a-zA-Z0-9!@ ().*?-]{1,300}$/);
    expect(transitionReason({ ...identity, arn: 'arn:aws:iam::111111111111:root' }, 'x')).toBe('tollgate stop by arn aws iam 111111111111 root - x');
  });
});

describe('stop without --abort', () => {
  test('names every deploy action still in progress, not the approvals it rejects', async () => {
    const state = pipelineState({ prodBaking: true });
    const prod = stageIn(state, 'Prod');
    prod.actionStates![0] = { actionName: 'Deploy', latestExecution: { status: 'InProgress', lastStatusChange: new Date('2026-11-22T10:21:30Z') } };
    codePipeline.on(GetPipelineStateCommand).resolves(state);
    codePipeline.on(PutApprovalResultCommand).resolves({});
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(result.out.slice(-2)).toEqual([
      'still deploying (stop does not interrupt it; use --abort): Prod/Deploy e2000000-0000-0000-0000-000000000002 since 10:21Z',
      'Releases to Prod are stopped: nothing reaches Prod until `tollgate resume --reason "..."`.',
    ]);
  });

  test('says nothing of it when nothing deploys, nor with --abort', async () => {
    codePipeline.on(PutApprovalResultCommand).resolves({});
    expect((await run('stop', '--reason', 'incident 42')).stdout).not.toContain('still deploying');
  });
});

describe('the operator role', () => {
  test('every change is made with its credentials, the records name the caller', async () => {
    codePipeline.on(PutApprovalResultCommand).resolves({});
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(0);
    expect(sts.commandCalls(AssumeRoleCommand).map((c) => c.args[0].input)).toEqual([
      { RoleArn: 'arn:aws:iam::111111111111:role/Tollgate-Operator', RoleSessionName: 'alice@example.com' },
    ]);
    const [put] = ssm.commandCalls(PutParameterCommand);
    expect(await put.thisValue.config.credentials()).toMatchObject({ accessKeyId: 'ASIAOPERATOR', sessionToken: 'token' });
    expect(JSON.parse(put.args[0].input.Value!).by).toBe(CALLER_ARN);
  });

  test.each([['stop'], ['resume']])('%s: a role that cannot be assumed is one line, exit 2, nothing changed', async (command) => {
    sts.on(AssumeRoleCommand).rejects(awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole'));
    const result = await run(command, '--reason', 'incident 42');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: cannot assume the operator role arn:aws:iam::111111111111:role/Tollgate-Operator: AccessDenied: not authorized to perform: sts:AssumeRole; nothing was changed',
    ]);
    expect(ssm.calls()).toHaveLength(0);
    expect(codePipeline.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('resume', () => {
  test('writes halted:false, then enables the transition; approves nothing', async () => {
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(0);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand)[0].args[0].input).toEqual({ pipelineName: 'Tollgate', stageName: 'Prod', transitionType: 'Inbound' });
    expect(JSON.parse(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!)).toMatchObject({ halted: false, reason: 'fixed', by: CALLER_ARN });
    expect(codePipeline.commandCalls(PutApprovalResultCommand)).toHaveLength(0);
  });

  test('then announces who resumed releases, why and when, as its last step', async () => {
    const result = await run('resume', '--reason', 'fixed', '--topic-arn', 'arn:aws:sns:us-east-1:111111111111:pager');
    expect(result.code).toBe(0);
    expect(result.out.slice(2, 5)).toEqual([
      '  done      clear halt flag /tollgate/Tollgate/halt: halted: false',
      '  done      enable the transition into Prod: enabled',
      '  done      announce on arn:aws:sns:us-east-1:111111111111:pager: published (message msg-1)',
    ]);
    expect(result.out).toContain("A build waiting at the Prod transition is checked again by the gate's entry check before it deploys.");
    // The steps before it, as printed.
    const message = [...announcementHead('resumed', 'fixed'), ...result.out.slice(2, 4)].join('\n');
    expect(published()).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:111111111111:pager', Subject: 'Tollgate Tollgate: releases to Prod resumed', Message: message }]);
  });

  test('a failed announcement is a FAILED step, exit 1; the pipeline stays open', async () => {
    sns.on(PublishCommand).rejects(awsError('AuthorizationErrorException', 'User is not authorized to perform: SNS:Publish'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(result.out.slice(-1)).toEqual([`  FAILED    announce on ${TOPIC}: AuthorizationErrorException: User is not authorized to perform: SNS:Publish`]);
    expect(result.err).toEqual([
      `tollgate: RELEASES ARE RESUMED, but announce on ${TOPIC} failed (AuthorizationErrorException: User is not authorized to perform: SNS:Publish): the team was not told; tell them yourself`,
    ]);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand)).toHaveLength(1);
    expect(halts()).toEqual([{ halted: false, reason: 'fixed', by: CALLER_ARN, at: AT }]);
    expect(codePipeline.commandCalls(DisableStageTransitionCommand)).toHaveLength(0);
  });

  test('if the halt flag cannot be cleared, the transition stays closed and nothing is announced, exit 1', async () => {
    ssm.on(PutParameterCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: ssm:PutParameter'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(result.out.slice(2)).toEqual([
      '  FAILED    clear halt flag /tollgate/Tollgate/halt: AccessDeniedException: not authorized to perform: ssm:PutParameter',
      '  not done  enable the transition into Prod',
      `  not done  announce on ${TOPIC}`,
    ]);
    expect(codePipeline.commandCalls(EnableStageTransitionCommand)).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });
});

describe('what stop and resume say they achieved, from which steps were done', () => {
  type Status = StepOutcome['status'];
  const step = (name: string, status: Status): StepOutcome => ({ name, status, lines: status === 'FAILED' ? ['AccessDenied: no'] : status === 'done' ? ['ok'] : [] });
  const stopWith = (halt: Status, transition: Status, approvals: Status = 'done', announce: Status = 'done') =>
    stopSummary({ halt: step('halt', halt), transition: step('transition', transition), approvals: step('approvals', approvals), announce: step('announce', announce) }, 'Tollgate', 'Prod');

  test.each([
    ['done', 'done', 'done', 'done', 'stopped', true, /^Releases to Prod are stopped: nothing reaches Prod until/],
    ['FAILED', 'FAILED', 'done', 'done', 'not stopped', false, /^RELEASES ARE NOT STOPPED: halt failed \(AccessDenied: no\); transition failed \(AccessDenied: no\); .*aws codepipeline disable-stage-transition --pipeline-name Tollgate --stage-name Prod/],
    ['done', 'FAILED', 'done', 'done', 'partly stopped', false, /^RELEASES ARE PARTLY STOPPED: the halt flag is set but the transition into Prod is still enabled, .*; transition failed/],
    ['FAILED', 'done', 'done', 'done', 'partly stopped', false, /^RELEASES ARE PARTLY STOPPED: the transition into Prod is disabled but the halt flag is not set, .*; halt failed/],
    ['done', 'done', 'FAILED', 'done', 'stopped', false, /^RELEASES ARE STOPPED, but not every step was done: approvals failed \(AccessDenied: no\); fix the cause and run the same command again \(it is safe to repeat\)$/],
    ['done', 'done', 'done', 'FAILED', 'stopped', false, /^RELEASES ARE STOPPED, but not every step was done: announce failed .*; the team was not told: tell them yourself$/],
  ] as const)('stop: halt %s, transition %s, approvals %s, announce %s → %s', (halt, transition, approvals, announce, state, complete, message) => {
    const summary = stopWith(halt, transition, approvals, announce);
    expect(summary).toEqual({ state, complete, message: expect.stringMatching(message) });
  });

  test.each([
    ['FAILED', 'not done', 'not done', false, false, /^RELEASES ARE STILL STOPPED: halt failed \(AccessDenied: no\); the transition into Prod was not touched; fix the cause/],
    ['done', 'FAILED', 'not done', false, false, /^RELEASES ARE STILL STOPPED: the halt flag is cleared but the transition into Prod was not enabled: transition failed/],
    ['done', 'done', 'FAILED', true, false, /^RELEASES ARE RESUMED, but announce failed \(AccessDenied: no\): the team was not told; tell them yourself$/],
    ['done', 'done', 'done', true, true, /^Releases to Prod are resumed\.$/],
  ] as const)('resume: halt %s, transition %s, announce %s', (halt, transition, announce, resumed, complete, message) => {
    expect(resumeSummary({ halt: step('halt', halt), transition: step('transition', transition), announce: step('announce', announce) }, 'Prod')).toEqual({
      resumed,
      complete,
      message: expect.stringMatching(message),
    });
  });

  test('golden: a stop whose transition step fails', async () => {
    codePipeline.on(DisableStageTransitionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: codepipeline:DisableStageTransition'));
    codePipeline.on(PutApprovalResultCommand).resolves({});
    const result = await run('stop', '--reason', 'incident 42');
    expect(result.code).toBe(1);
    expectGolden('stop', [...result.out, '--- stderr', ...result.err]);
  });

  test('golden: a resume whose transition step fails', async () => {
    codePipeline.on(EnableStageTransitionCommand).rejects(awsError('AccessDeniedException', 'not authorized to perform: codepipeline:EnableStageTransition'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expectGolden('resume', [...result.out, '--- stderr', ...result.err]);
  });
});
