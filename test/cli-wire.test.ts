/**
 * status, stop and resume over the wire: real SDK clients (signing, JSON 1.1 and query/XML protocols,
 * retries, error parsing) against a local endpoint set through AWS_ENDPOINT_URL.
 */
import { CALLER_ARN, EXECUTIONS, NOW, PIPELINE, clearTollgateEnv, pipelineState, run, toWire } from './cli-fixture';
import { AwsCall, LocalAws, Reply, Responder, callerIdentityXml, useLocalAws } from './local-aws';

const HALT = `/tollgate/${PIPELINE}/halt`;

/** A healthy deployment account: answers every call the commands make. */
function healthy(call: AwsCall): Reply {
  switch (call.operation) {
    case 'GetCallerIdentity':
      return { xml: callerIdentityXml(CALLER_ARN) };
    case 'GetPipelineState':
      return { json: toWire(pipelineState()) };
    case 'ListPipelineExecutions':
      return { json: toWire({ pipelineExecutionSummaries: EXECUTIONS }) };
    case 'GetParametersByPath':
      return {
        json: {
          Parameters: [
            { Name: HALT, Type: 'String', Value: JSON.stringify({ halted: true, reason: 'incident 42', by: CALLER_ARN, at: '2026-11-22T10:00:00Z' }) },
          ],
        },
      };
    case 'PutParameter':
      return { json: { Version: 2, Tier: 'Standard' } };
    case 'DisableStageTransition':
    case 'EnableStageTransition':
      return { json: {} };
    case 'PutApprovalResult':
      return { json: { approvedAt: NOW.getTime() / 1000 } };
    default:
      return { error: 'UnknownOperationException', message: `not in this test: ${call.operation}` };
  }
}

let aws: LocalAws;
let restoreEnv: () => void;
let respond: Responder = healthy;

beforeAll(async () => {
  clearTollgateEnv();
  aws = await LocalAws.start((call, attempt) => respond(call, attempt));
  restoreEnv = useLocalAws(aws.url);
});
afterAll(async () => {
  restoreEnv();
  await aws.close();
});
beforeEach(() => {
  aws.reset();
  respond = healthy;
});

const inputOf = (operation: string) => aws.calls.filter((c) => c.operation === operation).map((c) => c.input);

describe('status over the wire', () => {
  test('reads the pipeline, its executions and the controls, and shows the stop, the bake and the last release', async () => {
    const result = await run('status');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`halt flag:   HALTED by ${CALLER_ARN} at 2026-11-22T10:00:00Z: incident 42`);
    expect(result.stdout).toContain('BakeApproval pending: 40 min of 60 min bake left (ends 2026-11-22T11:10:00.000Z); gate: waiting: 40 min of bake left');
    expect(result.stdout).toMatch(/Bake\s+InProgress\s+e3000000 3333333 "Add the tile cache"/);
    expect(result.stdout).toContain('last release: e2000000-0000-0000-0000-000000000002 2222222 "Faster search", finished 2026-11-22T02:30:00.000Z');
    expect(inputOf('GetParametersByPath')).toEqual([{ Path: `/tollgate/${PIPELINE}/`, Recursive: true }]);
    // Only reads.
    expect(aws.operations().filter((o) => !/^(Get|List)/.test(o))).toEqual([]);
  });

  test('an unknown pipeline is one line naming the pipeline, account and region, exit 2', async () => {
    respond = (call) => (call.operation === 'GetPipelineState' || call.operation === 'ListPipelineExecutions' ? { error: 'PipelineNotFoundException', message: 'Account 111111111111 does not have a pipeline with name Tollgate' } : healthy(call));
    const result = await run('status');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: pipeline Tollgate not found in account 111111111111 region us-east-1: check pipelineName in cdk.json (or TOLLGATE_PIPELINE_NAME) and that the pipeline stack is deployed',
    ]);
  });
});

describe('stop over the wire', () => {
  test('writes the halt flag, disables the transition into Prod and rejects the pending bake, in that order', async () => {
    const result = await run('stop', '--reason', 'incident 42: checkout errors');
    expect(result.err).toEqual([]);
    expect(result.code).toBe(0);
    expect(aws.operations()).toEqual([
      'GetCallerIdentity',
      'GetPipelineState',
      'PutParameter',
      'DisableStageTransition',
      'GetPipelineState',
      'PutApprovalResult',
    ]);
    const [put] = inputOf('PutParameter');
    expect(put).toMatchObject({ Name: HALT, Type: 'String', Overwrite: true });
    expect(JSON.parse(put.Value)).toEqual({ halted: true, reason: 'incident 42: checkout errors', by: CALLER_ARN, at: NOW.toISOString() });
    expect(inputOf('DisableStageTransition')).toEqual([
      { pipelineName: PIPELINE, stageName: 'Prod', transitionType: 'Inbound', reason: 'tollgate stop by alice@example.com - incident 42 checkout errors' },
    ]);
    expect(inputOf('PutApprovalResult')).toEqual([
      {
        pipelineName: PIPELINE,
        stageName: 'Bake',
        actionName: 'BakeApproval',
        token: 'token-e3',
        result: { status: 'Rejected', summary: `Rejected by tollgate stop (${CALLER_ARN}): incident 42: checkout errors` },
      },
    ]);
    expect(result.out).toContain('  done      reject pending approvals in Bake: rejected Bake/BakeApproval');
  });

  test('a throttled call is retried and the stop completes', async () => {
    respond = (call, attempt) => (call.operation === 'DisableStageTransition' && attempt === 1 ? { error: 'ThrottlingException', message: 'Rate exceeded' } : healthy(call));
    const result = await run('stop', '--reason', 'incident 43');
    expect(result.code).toBe(0);
    expect(aws.operations().filter((o) => o === 'DisableStageTransition')).toHaveLength(2);
  });

  test('a step that keeps failing (HTTP 500) is reported as FAILED, the others still run, exit 1', async () => {
    respond = (call) => (call.operation === 'PutParameter' ? { error: 'InternalServerError', message: 'boom', status: 500 } : healthy(call));
    const result = await run('stop', '--reason', 'incident 44');
    expect(result.code).toBe(1);
    expect(aws.operations().filter((o) => o === 'PutParameter')).toHaveLength(2);
    expect(result.out).toEqual([
      expect.stringContaining('Stopping releases to Prod'),
      '  reason: incident 44',
      expect.stringMatching(/^ {2}FAILED {4}set halt flag \/tollgate\/Tollgate\/halt: InternalServerError/),
      '  done      disable the transition into Prod: disabled',
      '  done      reject pending approvals in Bake: rejected Bake/BakeApproval',
    ]);
    expect(result.err).toEqual([
      'tollgate: stop is incomplete: the steps marked FAILED were not done; fix the cause and run the same command again (it is safe to repeat)',
    ]);
  });

  test('credentials for another account: one line, exit 2, nothing changed', async () => {
    respond = (call) => (call.operation === 'GetCallerIdentity' ? { xml: callerIdentityXml('arn:aws:iam::999999999999:user/bob') } : healthy(call));
    const result = await run('stop', '--reason', 'incident 45');
    expect(result.code).toBe(2);
    expect(result.err).toEqual([
      'tollgate: wrong account: your credentials (arn:aws:iam::999999999999:user/bob) are for account 999999999999, but the deployment account of pipeline Tollgate is account 111111111111; switch AWS_PROFILE',
    ]);
    expect(aws.operations()).toEqual(['GetCallerIdentity']);
  });

  test('an unknown pipeline fails before the halt flag is written', async () => {
    respond = (call) => (call.operation === 'GetPipelineState' ? { error: 'PipelineNotFoundException', message: 'no such pipeline' } : healthy(call));
    const result = await run('stop', '--reason', 'incident 46');
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^tollgate: pipeline Tollgate not found in account 111111111111 region us-east-1/);
    expect(aws.operations()).toEqual(['GetCallerIdentity', 'GetPipelineState']);
  });

  test('expired credentials are named as such', async () => {
    respond = (call) => (call.operation === 'GetCallerIdentity' ? { error: 'ExpiredToken', message: 'The security token included in the request is expired', status: 403 } : healthy(call));
    const result = await run('stop', '--reason', 'incident 47');
    expect(result.code).toBe(2);
    expect(result.err[0]).toMatch(/^tollgate: AWS rejected your credentials \(ExpiredToken: The security token included in the request is expired\)/);
  });
});

describe('resume over the wire', () => {
  test('enables the transition and writes halted:false with who and why', async () => {
    const result = await run('resume', '--reason', 'fixed by rollback');
    expect(result.code).toBe(0);
    expect(aws.operations()).toEqual(['GetCallerIdentity', 'GetPipelineState', 'EnableStageTransition', 'PutParameter']);
    expect(inputOf('EnableStageTransition')).toEqual([{ pipelineName: PIPELINE, stageName: 'Prod', transitionType: 'Inbound' }]);
    expect(JSON.parse(inputOf('PutParameter')[0].Value)).toEqual({ halted: false, reason: 'fixed by rollback', by: CALLER_ARN, at: NOW.toISOString() });
    expect(aws.operations()).not.toContain('PutApprovalResult');
  });

  test('when enabling the transition is denied, the halt flag stays set and the output says so', async () => {
    respond = (call) =>
      call.operation === 'EnableStageTransition'
        ? { error: 'AccessDeniedException', message: 'User is not authorized to perform: codepipeline:EnableStageTransition' }
        : healthy(call);
    const result = await run('resume', '--reason', 'fixed');
    expect(result.code).toBe(1);
    expect(aws.operations()).not.toContain('PutParameter');
    expect(result.out.slice(2)).toEqual([
      '  FAILED    enable the transition into Prod: AccessDeniedException: User is not authorized to perform: codepipeline:EnableStageTransition',
      '  not done  clear halt flag /tollgate/Tollgate/halt',
    ]);
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
    expect(aws.calls).toEqual([]);
  } finally {
    process.env.AWS_ACCESS_KEY_ID = 'AKIDLOCALTEST';
    process.env.AWS_SECRET_ACCESS_KEY = 'local-test-secret';
  }
});
