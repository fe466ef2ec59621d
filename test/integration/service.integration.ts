/**
 * The sample service's HTTP contract, against a deployed stage (the pipeline's sandbox, or yours through
 * `tollgate sandbox test`): what the synthetic checks and the pre-traffic hook rely on, and the answers to bad
 * requests. Reads API_URL and TILE_SERVER_URL; signs the write with the SDK's credentials, or with a role it
 * assumes first when INTEGRATION_ROLE_ARN is set (HTTP APIs take no resource policy, so a caller in another
 * account signs as a role in the API's).
 */
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { judgeSmokeTest } from '../../lambdas/pre-traffic-hook/core';
import { CheckRequest, parseCheckSettings, SYNTHETIC_TILE } from '../../lambdas/synthetic-checks/checks';
import { Credentials, signedHeaders } from '../../lambdas/synthetic-checks/adapter';

const settings = parseCheckSettings({ ...process.env, CHECK_TIMEOUT_MS: process.env.CHECK_TIMEOUT_MS ?? '10000' });
const apiRegion = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(settings.apiUrl).hostname)?.[1] ?? process.env.AWS_REGION ?? 'us-east-1';

let cached: Promise<Credentials> | undefined;
/** The SDK's default credentials, or a session of INTEGRATION_ROLE_ARN assumed with them. */
function credentials(): Promise<Credentials> {
  cached ??= (async () => {
    const sts = new STSClient({ region: apiRegion });
    const roleArn = process.env.INTEGRATION_ROLE_ARN;
    if (!roleArn) return sts.config.credentials();
    const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'integration-tests', DurationSeconds: 900 }));
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`assuming ${roleArn} returned no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  })();
  return cached;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly elapsedMs: number;
}

async function call(method: 'GET' | 'PUT', url: string, options: { body?: string; sign?: boolean } = {}): Promise<Answer> {
  const contentType: Record<string, string> = options.body ? { 'content-type': 'application/json' } : {};
  const request: CheckRequest = { method, url, body: options.body, headers: contentType, timeoutMs: settings.timeoutMs };
  const headers = options.sign ? await signedHeaders(request, apiRegion, credentials) : contentType;
  const started = Date.now();
  const response = await fetch(url, { method, headers, body: options.body, signal: AbortSignal.timeout(settings.timeoutMs) });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the test that expects JSON says so
  }
  return { status: response.status, body, elapsedMs: Date.now() - started };
}

// Always the same item, so the kept sandbox's table does not grow; the run's own value shows a lost write.
const itemId = 'integration-test';
const run = `${new Date().toISOString()}-${Math.random().toString(36).slice(2, 8)}`;

describe(`the service at ${settings.apiUrl}`, () => {
  it('GET /health answers 200 {status: ok} with its version', async () => {
    const answer = await call('GET', `${settings.apiUrl}/health`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'ok', version: expect.any(String) });
  });

  it('a signed PUT /items/{id} is stored and read back unchanged', async () => {
    const item = { run, values: [1, 2, 3], nested: { ok: true } };
    const written = await call('PUT', `${settings.apiUrl}/items/${itemId}`, { body: JSON.stringify(item), sign: true });
    expect(written).toMatchObject({ status: 200, body: { id: itemId } });
    const read = await call('GET', `${settings.apiUrl}/items/${itemId}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(item);
  });

  it('an unsigned PUT is refused by the IAM authorizer (403)', async () => {
    const answer = await call('PUT', `${settings.apiUrl}/items/${itemId}`, { body: '{}' });
    expect(answer.status).toBe(403);
  });

  it('a signed PUT with a body that is not a JSON object answers 400', async () => {
    const answer = await call('PUT', `${settings.apiUrl}/items/${itemId}`, { body: '[1, 2]', sign: true });
    expect(answer).toMatchObject({ status: 400, body: { message: 'body must be a JSON object' } });
  });

  it('an unknown item and an unknown path answer 404', async () => {
    expect((await call('GET', `${settings.apiUrl}/items/never-written-${run.replace(/[^A-Za-z0-9_-]/g, '-').slice(-40)}`)).status).toBe(404);
    expect(await call('GET', `${settings.apiUrl}/no-such-route`)).toMatchObject({ status: 404, body: { message: 'no route for /no-such-route' } });
  });

  it("passes the pre-traffic hook's judgement of GET /health (200 within its timeout)", async () => {
    const answer = await call('GET', `${settings.apiUrl}/health`);
    const verdict = judgeSmokeTest(
      { kind: 'answered', payload: JSON.stringify({ statusCode: answer.status, body: JSON.stringify(answer.body) }), elapsedMs: answer.elapsedMs },
      { expectedStatusCode: 200, timeoutMs: settings.timeoutMs },
    );
    expect(verdict).toMatchObject({ status: 'Succeeded' });
  });
});

describe(`the tile server at ${settings.tileServerUrl}`, () => {
  it('GET /healthz answers 200', async () => {
    expect((await call('GET', `${settings.tileServerUrl}/healthz`)).status).toBe(200);
  });

  it(`serves the tile /tiles/${SYNTHETIC_TILE.z}/${SYNTHETIC_TILE.x}/${SYNTHETIC_TILE.y}.json as JSON`, async () => {
    const answer = await call('GET', `${settings.tileServerUrl}/tiles/${SYNTHETIC_TILE.z}/${SYNTHETIC_TILE.x}/${SYNTHETIC_TILE.y}.json`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ...SYNTHETIC_TILE, bounds: expect.any(Object) });
  });
});
