import {
  HookInputError,
  httpApiEvent,
  judgeSmokeTest,
  parseHookEvent,
  parseHookSettings,
  validateSmokeRequest,
} from '../lambdas/pre-traffic-hook/core';

const expectation = { expectedStatusCode: 200, timeoutMs: 5000 };
const answered = (payload: string, extra: { functionError?: string; elapsedMs?: number } = {}) =>
  ({ kind: 'answered' as const, payload, elapsedMs: extra.elapsedMs ?? 120, ...(extra.functionError ? { functionError: extra.functionError } : {}) });

describe('judgeSmokeTest', () => {
  test('a healthy answer with the expected status succeeds', () => {
    const verdict = judgeSmokeTest(answered(JSON.stringify({ statusCode: 200, body: '{"ok":true}' })), expectation);
    expect(verdict).toEqual({ status: 'Succeeded', reason: 'the new version answered 200 in 120 ms' });
  });

  test('an unhealthy answer (other status) fails', () => {
    const verdict = judgeSmokeTest(answered(JSON.stringify({ statusCode: 500, body: 'boom' })), expectation);
    expect(verdict.status).toBe('Failed');
    expect(verdict.reason).toBe('the new version answered 500, expected 200');
  });

  test('a function error fails even when the payload looks fine', () => {
    const verdict = judgeSmokeTest(answered('{"errorType":"TypeError","errorMessage":"x is undefined"}', { functionError: 'Unhandled' }), expectation);
    expect(verdict.status).toBe('Failed');
    expect(verdict.reason).toContain('Unhandled');
    expect(verdict.reason).toContain('x is undefined');
  });

  test('a timeout fails', () => {
    expect(judgeSmokeTest({ kind: 'timedOut', elapsedMs: 5001 }, expectation))
      .toEqual({ status: 'Failed', reason: 'the new version did not answer within 5000 ms' });
  });

  test('an answer that arrives after the timeout fails', () => {
    const verdict = judgeSmokeTest(answered('{"statusCode":200}', { elapsedMs: 5001 }), expectation);
    expect(verdict.status).toBe('Failed');
    expect(verdict.reason).toContain('5001 ms');
  });

  test('an answer exactly at the timeout passes', () => {
    expect(judgeSmokeTest(answered('{"statusCode":200}', { elapsedMs: 5000 }), expectation).status).toBe('Succeeded');
  });

  test('an Invoke failure fails', () => {
    const verdict = judgeSmokeTest({ kind: 'invokeFailed', error: 'AccessDeniedException: no' }, expectation);
    expect(verdict).toEqual({ status: 'Failed', reason: 'invoking the new version failed: AccessDeniedException: no' });
  });

  test.each([
    ['not JSON', 'Internal Server Error', 'not JSON'],
    ['empty', '', 'not JSON'],
    ['a JSON string', '"hello"', 'not an object'],
    ['null', 'null', 'not an object'],
    ['an array', '[200]', 'not an object'],
    ['no statusCode', '{"body":"ok"}', 'no numeric statusCode'],
    ['a string statusCode', '{"statusCode":"200"}', 'no numeric statusCode'],
    ['a fractional statusCode', '{"statusCode":200.5}', 'no numeric statusCode'],
  ])('a malformed answer (%s) fails', (_name, payload, why) => {
    const verdict = judgeSmokeTest(answered(payload), expectation);
    expect(verdict.status).toBe('Failed');
    expect(verdict.reason).toContain(`malformed answer (${why})`);
  });

  test('a non-200 expectation is honoured', () => {
    expect(judgeSmokeTest(answered('{"statusCode":204}'), { ...expectation, expectedStatusCode: 204 }).status).toBe('Succeeded');
    expect(judgeSmokeTest(answered('{"statusCode":200}'), { ...expectation, expectedStatusCode: 204 }).status).toBe('Failed');
  });
});

describe('parseHookEvent', () => {
  test('reads both IDs', () => {
    expect(parseHookEvent({ DeploymentId: 'd-ABC', LifecycleEventHookExecutionId: 'exec-1' }))
      .toEqual({ deploymentId: 'd-ABC', lifecycleEventHookExecutionId: 'exec-1' });
  });

  test.each([
    [undefined, 'event.DeploymentId'],
    [{}, 'event.DeploymentId'],
    [{ DeploymentId: '', LifecycleEventHookExecutionId: 'x' }, 'event.DeploymentId'],
    [{ DeploymentId: 'd-1' }, 'event.LifecycleEventHookExecutionId'],
    [{ DeploymentId: 'd-1', LifecycleEventHookExecutionId: 7 }, 'event.LifecycleEventHookExecutionId'],
  ])('rejects %j naming %s', (event, field) => {
    expect(() => parseHookEvent(event)).toThrow(HookInputError);
    expect(() => parseHookEvent(event)).toThrow(`invalid ${field}`);
  });
});

describe('parseHookSettings', () => {
  const env = {
    TARGET_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler:7',
    SMOKE_REQUEST: JSON.stringify({ method: 'GET', path: '/health' }),
    EXPECTED_STATUS_CODE: '200',
    SMOKE_TIMEOUT_MS: '10000',
  };

  test('reads a complete environment', () => {
    expect(parseHookSettings(env)).toEqual({
      targetFunctionArn: env.TARGET_FUNCTION_ARN,
      request: { method: 'GET', path: '/health' },
      expectedStatusCode: 200,
      timeoutMs: 10000,
    });
  });

  test.each([
    ['TARGET_FUNCTION_ARN', 'arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler', 'invalid TARGET_FUNCTION_ARN'],
    ['TARGET_FUNCTION_ARN', 'arn:aws:lambda:us-east-1:333333333333:function:Prod-Service-Handler:live', 'invalid TARGET_FUNCTION_ARN'],
    ['SMOKE_REQUEST', '{not json', 'invalid SMOKE_REQUEST: must be JSON'],
    ['SMOKE_REQUEST', '{"method":"FETCH","path":"/"}', 'invalid SMOKE_REQUEST.method'],
    ['SMOKE_REQUEST', '{"method":"GET","path":"health"}', 'invalid SMOKE_REQUEST.path'],
    ['EXPECTED_STATUS_CODE', '2000', 'invalid EXPECTED_STATUS_CODE'],
    ['EXPECTED_STATUS_CODE', undefined, 'invalid EXPECTED_STATUS_CODE'],
    ['SMOKE_TIMEOUT_MS', '0', 'invalid SMOKE_TIMEOUT_MS'],
    ['SMOKE_TIMEOUT_MS', 'soon', 'invalid SMOKE_TIMEOUT_MS'],
  ])('rejects %s=%j', (name, value, message) => {
    expect(() => parseHookSettings({ ...env, [name]: value })).toThrow(message);
  });
});

describe('validateSmokeRequest', () => {
  test('accepts query, headers and body', () => {
    const request = { method: 'POST', path: '/tiles', query: 'z=1', headers: { 'content-type': 'application/json' }, body: '{}' };
    expect(validateSmokeRequest(request)).toEqual(request);
  });

  test.each([
    [null, 'invalid smokeRequest: must be an object'],
    [{ method: 'GET', path: '/x?y=1' }, 'invalid smokeRequest.path'],
    [{ method: 'GET', path: '/', headers: { a: 1 } }, 'invalid smokeRequest.headers'],
    [{ method: 'GET', path: '/', body: {} }, 'invalid smokeRequest.body'],
    [{ method: 'GET', path: '/', query: 3 }, 'invalid smokeRequest.query'],
  ])('rejects %j', (request, message) => {
    expect(() => validateSmokeRequest(request)).toThrow(message);
  });
});

describe('httpApiEvent', () => {
  const now = new Date('2026-03-02T10:00:00.000Z');

  test('builds an HTTP API 2.0 event stamped with the clock', () => {
    const event = httpApiEvent({ method: 'GET', path: '/health', query: 'deep=1&x=2' }, now, 'req-1');
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/health',
      rawQueryString: 'deep=1&x=2',
      queryStringParameters: { deep: '1', x: '2' },
      headers: { 'user-agent': 'tollgate-pre-traffic-hook' },
      isBase64Encoded: false,
      requestContext: {
        http: { method: 'GET', path: '/health' },
        requestId: 'req-1',
        time: '2026-03-02T10:00:00.000Z',
        timeEpoch: now.getTime(),
      },
    });
    expect(event).not.toHaveProperty('body');
  });

  test('keeps the caller\'s headers and body', () => {
    const event = httpApiEvent({ method: 'POST', path: '/tiles', headers: { 'user-agent': 'probe', accept: 'application/json' }, body: '{"z":1}' }, now, 'req-2');
    expect(event.headers).toEqual({ 'user-agent': 'probe', accept: 'application/json' });
    expect(event.body).toBe('{"z":1}');
    expect(event).not.toHaveProperty('queryStringParameters');
  });
});
