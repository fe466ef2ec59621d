import { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { runPreTrafficHook } from '../lambdas/pre-traffic-hook/adapter';

const lambdaMock = mockClient(LambdaClient);
const codedeployMock = mockClient(CodeDeployClient);

const TARGET = 'arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler:7';
const env = {
  TARGET_FUNCTION_ARN: TARGET,
  SMOKE_REQUEST: JSON.stringify({ method: 'GET', path: '/health' }),
  EXPECTED_STATUS_CODE: '200',
  SMOKE_TIMEOUT_MS: '50',
};
const event = { DeploymentId: 'd-TEST', LifecycleEventHookExecutionId: 'hook-exec-1' };

function deps(overrides: { env?: Record<string, string | undefined>; now?: () => number } = {}) {
  let t = 1_000;
  return {
    lambda: new LambdaClient({ region: 'us-east-1' }),
    codedeploy: new CodeDeployClient({ region: 'us-east-1' }),
    env: overrides.env ?? env,
    // A fake clock: every reading moves 10 ms on.
    now: overrides.now ?? (() => (t += 10)),
    log: jest.fn(),
  };
}

const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as any;

function reportedStatuses(): unknown[] {
  return codedeployMock.commandCalls(PutLifecycleEventHookExecutionStatusCommand).map((c) => c.args[0].input);
}

beforeEach(() => {
  lambdaMock.reset();
  codedeployMock.reset();
  codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).resolves({ lifecycleEventHookExecutionId: 'hook-exec-1' });
});

test('healthy: reports Succeeded after invoking the target version with an HTTP API event', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ statusCode: 200, body: 'ok' }) });

  const verdict = await runPreTrafficHook(event, deps());

  expect(verdict.status).toBe('Succeeded');
  expect(reportedStatuses()).toEqual([{ deploymentId: 'd-TEST', lifecycleEventHookExecutionId: 'hook-exec-1', status: 'Succeeded' }]);
  const invoke = lambdaMock.commandCalls(InvokeCommand)[0].args[0].input;
  expect(invoke.FunctionName).toBe(TARGET);
  expect(invoke.InvocationType).toBe('RequestResponse');
  const sent = JSON.parse(invoke.Payload as string);
  expect(sent).toMatchObject({ version: '2.0', rawPath: '/health', requestContext: { http: { method: 'GET' }, timeEpoch: 1010 } });
});

test('unhealthy: a 500 answer reports Failed', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ statusCode: 500 }) });
  const verdict = await runPreTrafficHook(event, deps());
  expect(verdict).toEqual({ status: 'Failed', reason: 'the new version answered 500, expected 200' });
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('unhealthy: a function error reports Failed', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'boom' }) });
  const verdict = await runPreTrafficHook(event, deps());
  expect(verdict.status).toBe('Failed');
  expect(verdict.reason).toContain('Unhandled');
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('timeout: an Invoke that never answers is abandoned and reports Failed', async () => {
  lambdaMock.on(InvokeCommand).callsFake((_input, getClient) => new Promise(() => getClient)); // never settles
  const verdict = await runPreTrafficHook(event, deps());
  expect(verdict).toEqual({ status: 'Failed', reason: 'the new version did not answer within 50 ms' });
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('malformed: a payload that is not JSON reports Failed', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('<html>oops</html>') as any });
  const verdict = await runPreTrafficHook(event, deps());
  expect(verdict.status).toBe('Failed');
  expect(verdict.reason).toContain('malformed answer');
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('malformed: an empty payload reports Failed', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 });
  expect((await runPreTrafficHook(event, deps())).status).toBe('Failed');
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('an Invoke error (access denied) reports Failed', async () => {
  lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
  const verdict = await runPreTrafficHook(event, deps());
  expect(verdict.reason).toBe('invoking the new version failed: AccessDeniedException: not allowed');
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('bad settings still report Failed (fail closed) and never invoke anything', async () => {
  const verdict = await runPreTrafficHook(event, deps({ env: { ...env, TARGET_FUNCTION_ARN: undefined } }));
  expect(verdict.status).toBe('Failed');
  expect(verdict.reason).toContain('invalid TARGET_FUNCTION_ARN');
  expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('an unexpected error (a broken clock) still reports Failed', async () => {
  const verdict = await runPreTrafficHook(event, deps({ now: () => { throw new Error('clock broke'); } }));
  expect(verdict.status).toBe('Failed');
  expect(verdict.reason).toContain('clock broke');
  expect(reportedStatuses()).toEqual([expect.objectContaining({ status: 'Failed' })]);
});

test('an event without CodeDeploy IDs rejects and reports nothing', async () => {
  await expect(runPreTrafficHook({ DeploymentId: 'd-1' }, deps())).rejects.toThrow('invalid event.LifecycleEventHookExecutionId');
  expect(reportedStatuses()).toHaveLength(0);
  expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0);
});

test('a failing report rejects, so Lambda retries the hook', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload({ statusCode: 200 }) });
  codedeployMock.on(PutLifecycleEventHookExecutionStatusCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
  await expect(runPreTrafficHook(event, deps())).rejects.toThrow('denied');
});
