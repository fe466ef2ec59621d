import {
  type CheckRequest,
  CheckSettingsError,
  type SendOutcome,
  type StepResult,
  describeFailures,
  parseCheckSettings,
  runSyntheticChecks,
  sameJson,
} from '../lambdas/synthetic-checks/checks';

const START = Date.parse('2026-03-10T12:00:00Z');
const settings = { apiUrl: 'https://api.example', tileServerUrl: 'http://tiles.example', timeoutMs: 5000 };

/**
 * A fake service behind the `send` port on a fake clock: each request takes `latencyMs` (default 20) of fake
 * time; the healthy answers can be replaced per `METHOD path`.
 */
function fakeService(overrides: Record<string, (request: CheckRequest) => SendOutcome> = {}, latencyMs: Record<string, number> = {}) {
  let clock = START;
  let stored: string | undefined;
  const sent: CheckRequest[] = [];
  const healthy: Record<string, (request: CheckRequest) => SendOutcome> = {
    'GET /health': () => ({ kind: 'answered', status: 200, body: '{"status":"ok","version":"7"}' }),
    'PUT /items/synthetic-check': (r) => {
      stored = r.body;
      return { kind: 'answered', status: 200, body: '{"id":"synthetic-check"}' };
    },
    'GET /items/synthetic-check': () =>
      stored ? { kind: 'answered', status: 200, body: stored } : { kind: 'answered', status: 404, body: '{"message":"item synthetic-check not found"}' },
    'GET /healthz': () => ({ kind: 'answered', status: 200, body: '{"status":"ok","schemaVersion":"v3"}' }),
    'GET /tiles/1/1/0.json': () => ({
      kind: 'answered',
      status: 200,
      body: JSON.stringify({ z: 1, x: 1, y: 0, bounds: { west: 0, south: 0, east: 180, north: 85.05 }, schemaVersion: 'v3' }),
    }),
  };
  return {
    sent,
    ports: {
      now: () => clock,
      send: async (request: CheckRequest): Promise<SendOutcome> => {
        sent.push(request);
        const key = `${request.method} ${new URL(request.url).pathname}`;
        clock += latencyMs[key] ?? 20;
        return (overrides[key] ?? healthy[key])(request);
      },
    },
  };
}

const byName = (results: StepResult[]): Record<string, StepResult> => Object.fromEntries(results.map((r) => [r.name, r]));

describe('runSyntheticChecks', () => {
  test('a healthy service passes all five steps, in order, with their status and duration', async () => {
    const service = fakeService();
    const results = await runSyntheticChecks(settings, service.ports);
    expect(results).toEqual([
      { name: 'api-health', ok: true, status: 200, durationMs: 20 },
      { name: 'api-write', ok: true, status: 200, durationMs: 20 },
      { name: 'api-read', ok: true, status: 200, durationMs: 20 },
      { name: 'tile-health', ok: true, status: 200, durationMs: 20 },
      { name: 'tile-data', ok: true, status: 200, durationMs: 20 },
    ]);
    expect(describeFailures(results)).toBeUndefined();
    expect(service.sent.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET https://api.example/health',
      'PUT https://api.example/items/synthetic-check',
      'GET https://api.example/items/synthetic-check',
      'GET http://tiles.example/healthz',
      'GET http://tiles.example/tiles/1/1/0.json',
    ]);
  });

  test('only the write is signed; it carries a JSON body stamped with the run time; every request has the timeout', async () => {
    const service = fakeService();
    await runSyntheticChecks(settings, service.ports);
    expect(service.sent.map((r) => Boolean(r.sign))).toEqual([false, true, false, false, false]);
    const write = service.sent[1];
    expect(write.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(write.body!)).toEqual({ checkedAt: '2026-03-10T12:00:00.000Z', source: 'synthetic-checks' });
    expect(service.sent.every((r) => r.timeoutMs === 5000)).toBe(true);
  });

  test.each([
    ['GET /health', 'api-health', 503, '{"message":"Service Unavailable"}', 'GET /health answered 503, expected 200: {"message":"Service Unavailable"}'],
    ['PUT /items/synthetic-check', 'api-write', 403, '{"message":"Forbidden"}', 'PUT /items/synthetic-check answered 403, expected 200: {"message":"Forbidden"}'],
    ['GET /items/synthetic-check', 'api-read', 404, '{"message":"item synthetic-check not found"}', 'GET /items/synthetic-check answered 404, expected 200: {"message":"item synthetic-check not found"}'],
    ['GET /healthz', 'tile-health', 502, '<html>Bad Gateway</html>', 'GET /healthz answered 502, expected 200: <html>Bad Gateway</html>'],
    ['GET /tiles/1/1/0.json', 'tile-data', 404, '{"message":"no tile 1/1/0"}', 'GET /tiles/1/1/0.json answered 404, expected 200: {"message":"no tile 1/1/0"}'],
  ])('a wrong status on %s fails step %s and only it', async (key, step, status, body, reason) => {
    const service = fakeService({ [key]: () => ({ kind: 'answered', status, body }) });
    const results = await runSyntheticChecks(settings, service.ports);
    expect(byName(results)[step]).toEqual({ name: step, ok: false, status, durationMs: 20, reason });
    // The read cannot run without the write; every other step still runs and passes.
    const alsoFailed = step === 'api-write' ? ['api-read'] : [];
    expect(results.filter((r) => !r.ok).map((r) => r.name).sort()).toEqual([step, ...alsoFailed].sort());
    expect(describeFailures(results)).toContain(`${step}: ${reason}`);
  });

  test.each([
    ['GET /health', 'api-health', '{"status":"degraded"}', 'expected status "ok"'],
    ['GET /health', 'api-health', '[]', 'expected status "ok"'],
    ['PUT /items/synthetic-check', 'api-write', '{"id":"other"}', 'expected {"id":"synthetic-check"}'],
    ['GET /healthz', 'tile-health', '{"schemaVersion":"v3"}', 'expected status "ok"'],
    ['GET /tiles/1/1/0.json', 'tile-data', '{"z":1,"x":0,"y":0,"bounds":{}}', 'expected tile 1/1/0 with its bounds'],
    ['GET /tiles/1/1/0.json', 'tile-data', '{"z":1,"x":1,"y":0}', 'expected tile 1/1/0 with its bounds'],
  ])('a wrong body on %s (%s: %s) fails', async (key, step, body, why) => {
    const service = fakeService({ [key]: () => ({ kind: 'answered', status: 200, body }) });
    const result = byName(await runSyntheticChecks(settings, service.ports))[step];
    expect(result).toMatchObject({ ok: false, status: 200 });
    expect(result.reason).toBe(`${key} answered ${body}: ${why}`);
  });

  test('a body that is not JSON fails, quoting at most 200 characters of it', async () => {
    const html = `<html>${'x'.repeat(300)}</html>`;
    const service = fakeService({ 'GET /health': () => ({ kind: 'answered', status: 200, body: html }) });
    const result = (await runSyntheticChecks(settings, service.ports))[0];
    expect(result.ok).toBe(false);
    expect(result.reason).toBe(`GET /health answered a body that is not JSON: ${html.slice(0, 200)}…`);
  });

  test('a read that returns another run\'s item (a lost write) fails: write/read mismatch', async () => {
    const older = '{"checkedAt":"2026-03-10T11:59:00.000Z","source":"synthetic-checks"}';
    const service = fakeService({ 'GET /items/synthetic-check': () => ({ kind: 'answered', status: 200, body: older }) });
    const read = byName(await runSyntheticChecks(settings, service.ports))['api-read'];
    expect(read.ok).toBe(false);
    expect(read.reason).toBe(
      `GET /items/synthetic-check answered ${older}: not what was written: {"checkedAt":"2026-03-10T12:00:00.000Z","source":"synthetic-checks"}`,
    );
  });

  test('a read with the same fields in another order passes; one with an extra field fails', async () => {
    const reordered = fakeService({
      'GET /items/synthetic-check': () => ({ kind: 'answered', status: 200, body: '{"source":"synthetic-checks","checkedAt":"2026-03-10T12:00:00.000Z"}' }),
    });
    expect(byName(await runSyntheticChecks(settings, reordered.ports))['api-read'].ok).toBe(true);
    const extra = fakeService({
      'GET /items/synthetic-check': () => ({ kind: 'answered', status: 200, body: '{"source":"synthetic-checks","checkedAt":"2026-03-10T12:00:00.000Z","x":1}' }),
    });
    expect(byName(await runSyntheticChecks(settings, extra.ports))['api-read'].ok).toBe(false);
  });

  test('when the write fails the read is not sent and fails too', async () => {
    const service = fakeService({ 'PUT /items/synthetic-check': () => ({ kind: 'timedOut' }) });
    const results = byName(await runSyntheticChecks(settings, service.ports));
    expect(results['api-read']).toEqual({ name: 'api-read', ok: false, durationMs: 0, reason: 'not run: the write before it failed' });
    expect(service.sent.filter((r) => r.method === 'GET' && r.url.endsWith('/items/synthetic-check'))).toHaveLength(0);
  });

  test('a timeout fails the step with the limit, and the other steps still run', async () => {
    const service = fakeService({ 'GET /healthz': () => ({ kind: 'timedOut' }) }, { 'GET /healthz': 5000 });
    const results = await runSyntheticChecks(settings, service.ports);
    expect(byName(results)['tile-health']).toEqual({
      name: 'tile-health', ok: false, durationMs: 5000, reason: 'GET /healthz did not answer within 5000 ms',
    });
    expect(results.filter((r) => r.ok)).toHaveLength(4);
  });

  test('an answer that arrives after the timeout fails even with status 200', async () => {
    const service = fakeService({}, { 'GET /health': 5001 });
    const result = (await runSyntheticChecks(settings, service.ports))[0];
    expect(result).toEqual({ name: 'api-health', ok: false, status: 200, durationMs: 5001, reason: 'GET /health answered after 5001 ms, more than 5000 ms' });
  });

  test('a network error fails the step with the error', async () => {
    const service = fakeService({ 'GET /tiles/1/1/0.json': () => ({ kind: 'failed', error: 'TypeError: fetch failed (ECONNREFUSED)' }) });
    const result = byName(await runSyntheticChecks(settings, service.ports))['tile-data'];
    expect(result).toEqual({ name: 'tile-data', ok: false, durationMs: 20, reason: 'GET /tiles/1/1/0.json failed: TypeError: fetch failed (ECONNREFUSED)' });
  });

  test('everything down: every step fails and the summary names each', async () => {
    const down = (): SendOutcome => ({ kind: 'failed', error: 'ENOTFOUND' });
    const service = fakeService(Object.fromEntries(
      ['GET /health', 'PUT /items/synthetic-check', 'GET /healthz', 'GET /tiles/1/1/0.json'].map((k) => [k, down]),
    ));
    const results = await runSyntheticChecks(settings, service.ports);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(describeFailures(results)?.split('; ').map((line) => line.split(':')[0])).toEqual(['api-health', 'api-write', 'api-read', 'tile-health', 'tile-data']);
  });
});

describe('the step runner port (Synthetics executeStep)', () => {
  test('each step runs inside it by name; a failed step rejects inside it, so the runtime records the failure', async () => {
    const recorded: { name: string; passed: boolean }[] = [];
    const service = fakeService({ 'GET /healthz': () => ({ kind: 'answered', status: 500, body: '{}' }) });
    const results = await runSyntheticChecks(settings, {
      ...service.ports,
      runStep: async (name, body) => {
        try {
          await body();
          recorded.push({ name, passed: true });
        } catch (err) {
          recorded.push({ name, passed: false });
          throw err; // as executeStep does
        }
      },
    });
    expect(recorded).toEqual([
      { name: 'api-health', passed: true },
      { name: 'api-write', passed: true },
      { name: 'api-read', passed: true },
      { name: 'tile-health', passed: false },
      { name: 'tile-data', passed: true },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false, true]);
  });

  test('a runner that fails on its own fails the step (fail closed), even when the check passed', async () => {
    const service = fakeService();
    const results = await runSyntheticChecks(settings, {
      ...service.ports,
      runStep: async (name, body) => {
        await body();
        if (name === 'tile-data') throw new Error('could not upload the step report');
      },
    });
    expect(results[4]).toMatchObject({ name: 'tile-data', ok: false, reason: 'the step could not run: could not upload the step report' });
  });

  test('a runner that never runs the body fails the step', async () => {
    const service = fakeService();
    const results = await runSyntheticChecks(settings, { ...service.ports, runStep: async () => undefined });
    expect(results.map((r) => r.reason)).toEqual([
      'the step runner never ran the step',
      'the step runner never ran the step',
      'not run: the write before it failed',
      'the step runner never ran the step',
      'the step runner never ran the step',
    ]);
    expect(service.sent).toHaveLength(0);
  });
});

describe('parseCheckSettings', () => {
  const env = { API_URL: 'https://abc.execute-api.us-east-1.amazonaws.com/', TILE_SERVER_URL: 'http://tiles-1.elb.amazonaws.com', CHECK_TIMEOUT_MS: '10000' };

  test('reads both base URLs (a trailing slash dropped) and the timeout', () => {
    expect(parseCheckSettings(env)).toEqual({
      apiUrl: 'https://abc.execute-api.us-east-1.amazonaws.com',
      tileServerUrl: 'http://tiles-1.elb.amazonaws.com',
      timeoutMs: 10000,
    });
  });

  test.each([
    [{ API_URL: undefined }, 'invalid API_URL: must be an absolute http(s) URL without query or fragment, got undefined'],
    [{ API_URL: 'abc.execute-api' }, 'invalid API_URL: must be an absolute http(s) URL without query or fragment, got "abc.execute-api"'],
    [{ API_URL: 'ftp://x' }, 'invalid API_URL: must be an absolute http(s) URL without query or fragment, got "ftp://x"'],
    [{ TILE_SERVER_URL: 'http://t?x=1' }, 'invalid TILE_SERVER_URL: must be an absolute http(s) URL without query or fragment, got "http://t?x=1"'],
    [{ CHECK_TIMEOUT_MS: '0' }, 'invalid CHECK_TIMEOUT_MS: must be a positive whole number of milliseconds, got "0"'],
    [{ CHECK_TIMEOUT_MS: 'soon' }, 'invalid CHECK_TIMEOUT_MS: must be a positive whole number of milliseconds, got "soon"'],
  ])('%j is refused with one line naming it', (change, message) => {
    expect(() => parseCheckSettings({ ...env, ...change })).toThrow(CheckSettingsError);
    expect(() => parseCheckSettings({ ...env, ...change })).toThrow(message);
  });
});

test('sameJson compares values, not key order', () => {
  expect(sameJson({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
  expect(sameJson({ a: 1 }, { a: '1' })).toBe(false);
  expect(sameJson([1, 2], [2, 1])).toBe(false);
  expect(sameJson({ a: undefined }, { b: undefined })).toBe(false);
  expect(sameJson({}, [])).toBe(false);
});
