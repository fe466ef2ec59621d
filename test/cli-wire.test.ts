/**
 * status, stop and resume over the wire: real SDK clients (signing, JSON 1.1 and query/XML protocols,
 * retries, error parsing) against a local endpoint set through AWS_ENDPOINT_URL.
 */
import { CALLER_ARN, PIPELINE, callerIdentity, run, serveEndpointForSuite } from './cli-fixture';
import { FakeAwsEndpoint, SNS_NS, STS_NS, jsonError, xmlError } from './fake-aws-endpoint';

const HALT = `/tollgate/${PIPELINE}/halt`;
const TOPIC = `arn:aws:sns:us-east-1:111111111111:${PIPELINE}-release-events`;
const endpoint = new FakeAwsEndpoint();
serveEndpointForSuite(endpoint);

const operations = () => endpoint.requests.map((r) => r.operation);
const inputOf = (operation: `${'codepipeline' | 'ssm' | 'sns'}:${string}`) => endpoint.calls(operation).map((r) => r.input as Record<string, any>);
const notFound = () => jsonError(400, 'PipelineNotFoundException', 'Account 111111111111 does not have a pipeline with name Tollgate');

describe('status over the wire', () => {
  test('reads the pipeline, its executions and the controls, and shows the stop, the bake and the last release', async () => {
    const result = await run('status');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.out[0]).toBe('HALTED by alice@example.com since 2026-11-22T10:00:00Z: incident 42');
    expect(result.out).toContain('  - build 3333333 baking in Dev: 40 min left (gate: calendar closed: Sunday; opens Mon 09:00)');
    expect(result.stdout).toMatch(/Dev\s+InProgress\s+e3000000 3333333 "Add the tile cache"/);
    expect(inputOf('ssm:GetParametersByPath')).toEqual([{ Path: `/tollgate/${PIPELINE}`, Recursive: true }]);
    // Only reads (and the roles that read): the gate's records come from one Query of its state table.
    expect(operations().filter((o) => !/^(Get|List|Query|Describe|AssumeRole)/.test(o))).toEqual([]);
    expect(endpoint.calls('dynamodb:Query').map((r) => (r.input as Record<string, unknown>).TableName)).toEqual(['Tollgate-BakeGateState']);
    // Dev's and prod's health through the operator role, then each account's reader role: never unknown.
    expect(endpoint.calls('sts:AssumeRole').map((r) => r.input.RoleArn)).toEqual([
      `arn:aws:iam::111111111111:role/${PIPELINE}-Operator`,
      `arn:aws:iam::222222222222:role/${PIPELINE}-AlarmReader`,
      `arn:aws:iam::333333333333:role/${PIPELINE}-AlarmReader`,
    ]);
    expect(endpoint.calls('monitoring:DescribeAlarms').map((r) => r.accessKeyId)).toEqual(['ASIAFAKE', 'ASIAFAKE']);
    expect(result.stdout).toContain('  Dev-Service-Health: OK');
    expect(result.stdout).toContain('  Prod-Service-Health: OK');
  });

  test('an unknown pipeline is one line naming the pipeline, account and region, exit 2', async () => {
    endpoint.first('codepipeline:GetPipelineState', notFound);
    const result = await run('status');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: pipeline Tollgate not found in account 111111111111 region us-east-1: check pipelineName in cdk.json (or TOLLGATE_PIPELINE_NAME) and that the pipeline stack is deployed',
    ]);
  });
});

describe('stop over the wire', () => {
  test('writes the halt flag, disables the transition into Prod, rejects the pending bake and announces it, in that order', async () => {
    const result = await run('stop', '--reason', 'incident 42: checkout errors');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineState', 'GetParameter', 'PutParameter', 'DisableStageTransition', 'GetPipelineState', 'PutApprovalResult', 'Publish', 'GetPipelineState']);
    const [put] = inputOf('ssm:PutParameter');
    expect(put).toMatchObject({ Name: HALT, Type: 'String', Overwrite: true });
    expect(JSON.parse(put.Value)).toEqual({ halted: true, reason: 'incident 42: checkout errors', by: CALLER_ARN, at: '2026-11-22T10:30:00Z' });
    expect(inputOf('codepipeline:DisableStageTransition')).toEqual([
      { pipelineName: PIPELINE, stageName: 'Prod', transitionType: 'Inbound', reason: 'tollgate stop by alice@example.com - incident 42 checkout errors' },
    ]);
    expect(inputOf('codepipeline:PutApprovalResult')).toEqual([
      {
        pipelineName: PIPELINE,
        stageName: 'Dev',
        actionName: 'Bake',
        token: 'token-e3',
        result: { status: 'Rejected', summary: `Rejected by tollgate stop (${CALLER_ARN}): incident 42: checkout errors` },
      },
    ]);
    expect(result.out).toContain('  done      reject pending approvals (the bakes): rejected Dev/Bake');
    const [publish] = inputOf('sns:Publish');
    expect(publish).toMatchObject({ TopicArn: TOPIC, Subject: 'Tollgate Tollgate: releases to Prod stopped' });
    expect(publish.Message).toContain(`${CALLER_ARN} halted releases to Prod of pipeline Tollgate with tollgate stop.\nReason: incident 42: checkout errors\nAt: 2026-11-22T10:30:00Z`);
    expect(result.out).toContain(`  done      announce on ${TOPIC}: published (message msg-1)`);
  });

  test('a denied announcement is reported as FAILED, exit 1; the halt stays', async () => {
    endpoint.first('sns:Publish', () => xmlError(403, 'AuthorizationError', 'User is not authorized to perform: SNS:Publish', SNS_NS));
    const result = await run('stop', '--reason', 'incident 48');
    expect(result.code).toBe(1);
    expect(result.out.slice(-1)).toEqual([`  FAILED    announce on ${TOPIC}: AuthorizationErrorException: User is not authorized to perform: SNS:Publish`]);
    expect(result.err).toEqual([
      `tollgate: RELEASES ARE STOPPED, but not every step was done: announce on ${TOPIC} failed (AuthorizationErrorException: User is not authorized to perform: SNS:Publish); fix the cause and run the same command again (it is safe to repeat); the team was not told: tell them yourself`,
    ]);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineState', 'GetParameter', 'PutParameter', 'DisableStageTransition', 'GetPipelineState', 'PutApprovalResult', 'Publish']);
    expect(JSON.parse(inputOf('ssm:PutParameter')[0].Value)).toMatchObject({ halted: true, reason: 'incident 48' });
  });

  test('a throttled call is retried and the stop completes', async () => {
    endpoint.first('codepipeline:DisableStageTransition', () =>
      endpoint.calls('codepipeline:DisableStageTransition').length === 1 ? jsonError(400, 'ThrottlingException', 'Rate exceeded') : undefined,
    );
    const result = await run('stop', '--reason', 'incident 43');
    expect(result.code).toBe(0);
    expect(endpoint.calls('codepipeline:DisableStageTransition')).toHaveLength(2);
  });

  test('a step that keeps failing (HTTP 500) is reported as FAILED, the others still run, exit 1', async () => {
    endpoint.first('ssm:PutParameter', () => jsonError(500, 'InternalServerError', 'boom'));
    const result = await run('stop', '--reason', 'incident 44');
    expect(result.code).toBe(1);
    expect(endpoint.calls('ssm:PutParameter')).toHaveLength(2);
    expect(result.out).toEqual([
      expect.stringContaining('Stopping releases to Prod'),
      '  reason: incident 44',
      expect.stringMatching(/^ {2}FAILED {4}set halt flag \/tollgate\/Tollgate\/halt: InternalServerError/),
      '  done      disable the transition into Prod: disabled',
      '  done      reject pending approvals (the bakes): rejected Dev/Bake',
      `  done      announce on ${TOPIC}: published (message msg-1)`,
    ]);
    expect(result.err).toEqual([expect.stringMatching(/^tollgate: RELEASES ARE PARTLY STOPPED: the transition into Prod is disabled but the halt flag is not set, .*; set halt flag \/tollgate\/Tollgate\/halt failed \(InternalServerError/)]);
  });

  test('credentials for another account: one line, exit 2, nothing changed', async () => {
    endpoint.first('sts:GetCallerIdentity', () => callerIdentity('arn:aws:iam::999999999999:user/bob'));
    const result = await run('stop', '--reason', 'incident 45');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: wrong account: your credentials (arn:aws:iam::999999999999:user/bob) are for account 999999999999, but the deployment account of pipeline Tollgate is account 111111111111; switch AWS_PROFILE; nothing was changed',
    ]);
    expect(operations()).toEqual(['GetCallerIdentity']);
  });

  test('an unknown pipeline fails before the halt flag is written', async () => {
    endpoint.first('codepipeline:GetPipelineState', notFound);
    const result = await run('stop', '--reason', 'incident 46');
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^tollgate: pipeline Tollgate not found in account 111111111111 region us-east-1/);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineState']);
  });

  test('expired credentials are named as such', async () => {
    endpoint.first('sts:GetCallerIdentity', () => xmlError(403, 'ExpiredToken', 'The security token included in the request is expired', STS_NS));
    const result = await run('stop', '--reason', 'incident 47');
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^tollgate: AWS rejected your credentials \(ExpiredToken: The security token included in the request is expired\)/);
  });
});

describe('resume over the wire', () => {
  test('clears the halt flag first, enables the transition only after that, and announces it', async () => {
    const result = await run('resume', '--reason', 'fixed by rollback');
    expect(result.code).toBe(0);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineState', 'GetParameter', 'PutParameter', 'EnableStageTransition', 'Publish']);
    expect(inputOf('sns:Publish')).toEqual([
      expect.objectContaining({ TopicArn: TOPIC, Subject: 'Tollgate Tollgate: releases to Prod resumed', Message: expect.stringContaining('Reason: fixed by rollback') }),
    ]);
    expect(inputOf('codepipeline:EnableStageTransition')).toEqual([{ pipelineName: PIPELINE, stageName: 'Prod', transitionType: 'Inbound' }]);
    expect(JSON.parse(inputOf('ssm:PutParameter')[0].Value)).toEqual({ halted: false, reason: 'fixed by rollback', by: CALLER_ARN, at: '2026-11-22T10:30:00Z' });
    expect(result.out).toContain("A build waiting at the Prod transition is checked again by the gate's entry check before it deploys.");
  });

  test('when the halt flag cannot be cleared, the transition is not touched', async () => {
    endpoint.first('ssm:PutParameter', () => jsonError(400, 'AccessDeniedException', 'User is not authorized to perform: ssm:PutParameter'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(operations()).not.toContain('EnableStageTransition');
    expect(operations()).not.toContain('Publish');
    expect(result.out.slice(2)).toEqual([
      '  FAILED    clear halt flag /tollgate/Tollgate/halt: AccessDeniedException: User is not authorized to perform: ssm:PutParameter',
      '  not done  enable the transition into Prod',
      `  not done  announce on ${TOPIC}`,
    ]);
  });

  test('when enabling the transition is denied, the flag is cleared but Prod stays closed, and the output says so', async () => {
    endpoint.first('codepipeline:EnableStageTransition', () => jsonError(400, 'AccessDeniedException', 'User is not authorized to perform: codepipeline:EnableStageTransition'));
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(operations()).not.toContain('Publish');
    expect(result.out.slice(2)).toEqual([
      '  done      clear halt flag /tollgate/Tollgate/halt: halted: false',
      '  FAILED    enable the transition into Prod: AccessDeniedException: User is not authorized to perform: codepipeline:EnableStageTransition',
      `  not done  announce on ${TOPIC}`,
    ]);
  });
});

describe('the operator role over the wire', () => {
  test.each([
    [['stop', '--reason', 'incident 49']],
    [['resume', '--reason', 'fixed']],
    [['freeze', 'declare', '--name', 'incident-49', '--reason', 'checkout errors', '--until', '2026-11-24T12:00:00Z']],
  ])('%j assumes it before any write and signs every write with its credentials', async (args) => {
    endpoint.on('ssm:GetParameter', () => jsonError(400, 'ParameterNotFound', 'not found'));
    const result = await run(...args);
    expect(result.err).toEqual([]);
    const assume = endpoint.requests.findIndex((r) => r.operation === 'AssumeRole');
    const writes = endpoint.requests.filter((r) => /^(Put|Delete|Disable|Enable|Stop|Rollback|Publish)/.test(r.operation));
    expect(assume).toBeGreaterThan(0);
    expect(endpoint.requests[assume].input).toMatchObject({ RoleArn: `arn:aws:iam::111111111111:role/${PIPELINE}-Operator`, RoleSessionName: 'alice@example.com' });
    expect(writes.length).toBeGreaterThan(0);
    for (const write of writes) {
      expect(endpoint.requests.indexOf(write)).toBeGreaterThan(assume);
      expect(write.accessKeyId).toBe('ASIAFAKE');
    }
  });

  test('a role that cannot be assumed: one line, exit 2, nothing written', async () => {
    endpoint.first('sts:AssumeRole', () => xmlError(403, 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole', STS_NS));
    const result = await run('stop', '--reason', 'incident 50');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      `tollgate: cannot assume the operator role arn:aws:iam::111111111111:role/${PIPELINE}-Operator: AccessDenied: User is not authorized to perform: sts:AssumeRole; nothing was changed`,
    ]);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole']);
  });
});

describe('override over the wire', () => {
  const EXECUTION = 'e3000000-0000-0000-0000-000000000003';
  const OVERRIDE = `/tollgate/${PIPELINE}/override/${EXECUTION}`;

  test('an execution of this pipeline: records who, why and when it expires (24 h by default), through the operator role', async () => {
    const result = await run('override', '--execution', EXECUTION, '--reason', 'hotfix for INC-4711');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineExecution', 'PutParameter', 'Publish']);
    expect(inputOf('codepipeline:GetPipelineExecution')).toEqual([{ pipelineName: PIPELINE, pipelineExecutionId: EXECUTION }]);
    const [put] = inputOf('ssm:PutParameter');
    expect(put).toMatchObject({ Name: OVERRIDE, Overwrite: false });
    expect(JSON.parse(put.Value)).toEqual({ reason: 'hotfix for INC-4711', by: CALLER_ARN, at: '2026-11-22T05:30:00-05:00', expiresAt: '2026-11-23T05:30:00-05:00' });
    expect(inputOf('sns:Publish')[0]).toMatchObject({ Subject: `Tollgate break-glass: ${PIPELINE}` });
  });

  test('--force-freeze is recorded and announced with its own subject; --until +4h sets the expiry', async () => {
    const result = await run('override', '--execution', EXECUTION, '--reason', 'r', '--until', '+4h', '--force-freeze');
    expect(result.code).toBe(0);
    expect(JSON.parse(inputOf('ssm:PutParameter')[0].Value)).toMatchObject({ expiresAt: '2026-11-22T09:30:00-05:00', forceFreeze: true });
    expect(inputOf('sns:Publish')[0]).toMatchObject({ Subject: `Tollgate break-glass through an incident freeze: ${PIPELINE}` });
  });

  test('an execution the pipeline does not have: one line, exit 2, nothing written', async () => {
    endpoint.first('codepipeline:GetPipelineExecution', () => jsonError(400, 'PipelineExecutionNotFoundException', `Pipeline execution ID ${EXECUTION} does not exist`));
    const result = await run('override', '--execution', EXECUTION, '--reason', 'r');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      `tollgate: --execution ${EXECUTION} is not an execution of pipeline ${PIPELINE} (account 111111111111, us-east-1); nothing was written`,
    ]);
    expect(operations()).toEqual(['GetCallerIdentity', 'AssumeRole', 'GetPipelineExecution']);
  });

  test.each([
    [['--until', '+0h'], '--until must be later than now and at most 7 days ahead (like +4h or 2026-11-27T08:59), got "+0h"'],
    [['--until', '+8d'], '--until must be later than now and at most 7 days ahead (like +4h or 2026-11-27T08:59), got "+8d"'],
    [['--reason', 'x'.repeat(501)], `--reason must be 1-500 characters, got "${'x'.repeat(40)}…" (501 characters)`],
  ])('bad input %j: one line, exit 2, no AWS call', async (extra, line) => {
    const result = await run('override', '--execution', EXECUTION, '--reason', 'r', ...extra);
    expect(result.code).toBe(2);
    expect(result.err).toEqual([`tollgate: ${line}`]);
    expect(endpoint.requests).toEqual([]);
  });
});

test('without credentials nothing is sent and the fix is named, exit 2', async () => {
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_SECRET_ACCESS_KEY;
  try {
    const result = await run('status');
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(1);
    expect(result.err[0]).toMatch(/^tollgate: no AWS credentials found: set AWS_PROFILE .* or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(endpoint.requests).toEqual([]);
  } finally {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'local-test-secret';
  }
});
