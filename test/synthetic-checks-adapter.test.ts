/**
 * The canary's adapter against a local HTTP server on 127.0.0.1 standing in for the API and the tile server:
 * real fetch, real timeouts, real SigV4 signatures (checked by re-signing what the server received).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createSend, credentialsFromEnv, NodeSha256, runCanary, syntheticsStepRunner } from '../lambdas/synthetic-checks/adapter';
import { listenOnLoopback, stopServer } from './loopback-server';

const CREDENTIALS = { accessKeyId: 'ASIAFAKE', secretAccessKey: 'secret', sessionToken: 'token' };

interface Received {
  readonly req: IncomingMessage;
  readonly body: string;
}

type Reply = (received: Received, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let received: Received[];
let replies: Record<string, Reply>;
let stored: string;

const json = (status: number, body: unknown): Reply => (_r, res) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** The healthy service: API and tile server on one port, paths apart. */
function healthyReplies(): Record<string, Reply> {
  return {
    'GET /health': json(200, { status: 'ok', version: '7' }),
    'PUT /items/synthetic-check': (r, res) => {
      stored = r.body;
      json(200, { id: 'synthetic-check' })(r, res);
    },
    'GET /items/synthetic-check': (r, res) => json(200, stored)(r, res),
    'GET /healthz': json(200, { status: 'ok', schemaVersion: 'v3' }),
    'GET /tiles/1/1/0.json': json(200, { z: 1, x: 1, y: 0, bounds: { west: 0, south: 0, east: 180, north: 85 } }),
  };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const r = { req, body };
      received.push(r);
      const reply = replies[`${req.method} ${req.url}`];
      if (reply) reply(r, res);
      else json(404, { message: 'no route' })(r, res);
    });
  });
  endpoint = await listenOnLoopback(server);
});

afterAll(() => stopServer(server));

beforeEach(() => {
  received = [];
  replies = healthyReplies();
  stored = '';
});

afterEach(() => server.closeAllConnections());

const send = () => createSend({ fetch, region: 'us-east-1', credentials: async () => CREDENTIALS });

/** Signs what the server received again, with the date it was signed at: equal only if nothing differs. */
async function expectedAuthorization({ req, body }: Received): Promise<string> {
  const amzDate = String(req.headers['x-amz-date']);
  const signingDate = new Date(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  const signer = new SignatureV4({ service: 'execute-api', region: 'us-east-1', credentials: CREDENTIALS, sha256: NodeSha256 });
  const headers: Record<string, string> = {};
  for (const name of ['host', 'content-type', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256']) {
    if (req.headers[name] !== undefined) headers[name] = String(req.headers[name]);
  }
  const [hostname] = headers.host.split(':');
  const signed = await signer.sign({ method: req.method!, protocol: 'http:', hostname, path: req.url!, headers, body }, { signingDate });
  return String(signed.headers.authorization);
}

describe('NodeSha256 (the hash SigV4 signs with)', () => {
  test('SHA-256 and HMAC-SHA256 give the published test values', async () => {
    const hash = new NodeSha256();
    hash.update('');
    expect(Buffer.from(await hash.digest()).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const hmac = new NodeSha256('key');
    hmac.update(new TextEncoder().encode('The quick brown fox jumps over the lazy dog'));
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe('f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
    hmac.reset();
    hmac.update('');
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe('5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0');
  });
});

describe('createSend', () => {
  test('a signed PUT carries a SigV4 signature for execute-api over exactly what arrived (host with port, body)', async () => {
    const outcome = await send()({
      method: 'PUT',
      url: `${endpoint}/items/synthetic-check`,
      headers: { 'content-type': 'application/json' },
      body: '{"checkedAt":"2026-03-10T12:00:00.000Z"}',
      sign: true,
      timeoutMs: 2000,
    });
    expect(outcome).toEqual({ kind: 'answered', status: 200, body: '{"id":"synthetic-check"}' });
    const [put] = received;
    expect(put.req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIAFAKE\/\d{8}\/us-east-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(put.req.headers['x-amz-security-token']).toBe('token');
    expect(put.body).toBe('{"checkedAt":"2026-03-10T12:00:00.000Z"}');
    expect(put.req.headers.authorization).toBe(await expectedAuthorization(put));
  });

  test('an unsigned GET carries no credentials', async () => {
    expect(await send()({ method: 'GET', url: `${endpoint}/health`, timeoutMs: 2000 })).toMatchObject({ kind: 'answered', status: 200 });
    expect(received[0].req.headers.authorization).toBeUndefined();
    expect(received[0].req.headers['x-amz-security-token']).toBeUndefined();
    // A fresh connection per check (no pooled socket survives a frozen environment).
    expect(received[0].req.headers.connection).toBe('close');
  });

  test('an error status is an answer, not a failure', async () => {
    replies['GET /health'] = json(503, 'down');
    expect(await send()({ method: 'GET', url: `${endpoint}/health`, timeoutMs: 2000 })).toEqual({ kind: 'answered', status: 503, body: 'down' });
  });

  test('a server that never answers times out at the limit', async () => {
    replies['GET /health'] = () => undefined; // hangs
    expect(await send()({ method: 'GET', url: `${endpoint}/health`, timeoutMs: 100 })).toEqual({ kind: 'timedOut' });
  });

  test('a body that stops half-way times out too', async () => {
    replies['GET /health'] = (_r, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"status":');
    };
    expect(await send()({ method: 'GET', url: `${endpoint}/health`, timeoutMs: 150 })).toEqual({ kind: 'timedOut' });
  });

  test('a refused connection is a failure naming the socket error', async () => {
    const closed = createServer();
    const url = await listenOnLoopback(closed);
    await stopServer(closed); // the port was free a moment ago: nothing listens there now
    const outcome = await send()({ method: 'GET', url: `${url}/healthz`, timeoutMs: 2000 });
    expect(outcome).toEqual({ kind: 'failed', error: expect.stringContaining('ECONNREFUSED') });
  });

  test('missing credentials fail the signed request, and nothing is sent', async () => {
    const noCredentials = createSend({ fetch, region: 'us-east-1', credentials: async () => credentialsFromEnv({}) });
    const outcome = await noCredentials({ method: 'PUT', url: `${endpoint}/items/x`, body: '{}', sign: true, timeoutMs: 2000 });
    expect(outcome).toEqual({ kind: 'failed', error: 'Error: no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)' });
    expect(received).toHaveLength(0);
  });
});

describe('syntheticsStepRunner', () => {
  test('outside the Synthetics runtime (no module, or no executeStep) there is none', () => {
    expect(syntheticsStepRunner(() => {
      throw new Error("Cannot find module 'Synthetics'");
    })).toBeUndefined();
    expect(syntheticsStepRunner(() => ({}))).toBeUndefined();
  });

  test('inside it, each step goes through executeStep with its name, and its rejection passes through', async () => {
    const calls: string[] = [];
    const library = {
      async executeStep(this: unknown, name: string, body: () => Promise<void>) {
        expect(this).toBe(library);
        calls.push(name);
        return body();
      },
    };
    const runner = syntheticsStepRunner(() => library)!;
    await runner('api-health', async () => undefined);
    await expect(runner('tile-data', async () => {
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(calls).toEqual(['api-health', 'tile-data']);
  });
});

describe('runCanary', () => {
  const env = () => ({
    API_URL: endpoint,
    TILE_SERVER_URL: endpoint,
    CHECK_TIMEOUT_MS: '2000',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAFAKE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_SESSION_TOKEN: 'token',
  });
  const run = (overrides: Record<string, string | undefined> = {}) => {
    const logged: Record<string, unknown>[] = [];
    const result = runCanary({ env: { ...env(), ...overrides }, fetch, now: Date.now, log: (_m, details) => logged.push(details) });
    return { result, logged };
  };

  test('a healthy service: the run resolves with five passed steps, each logged, and the write is signed', async () => {
    const { result, logged } = run();
    const results = await result;
    expect(results.map((r) => [r.name, r.ok, r.status])).toEqual([
      ['api-health', true, 200],
      ['api-write', true, 200],
      ['api-read', true, 200],
      ['tile-health', true, 200],
      ['tile-data', true, 200],
    ]);
    expect(logged.map((l) => l.name)).toEqual(results.map((r) => r.name));
    const put = received.find((r) => r.req.method === 'PUT')!;
    expect(put.req.headers.authorization).toBe(await expectedAuthorization(put));
  });

  test('a failed step fails the run (rejects), naming the step and why', async () => {
    replies['GET /tiles/1/1/0.json'] = json(404, { message: 'no tile 1/1/0' });
    await expect(run().result).rejects.toThrow(
      'synthetic checks failed: tile-data: GET /tiles/1/1/0.json answered 404, expected 200: {"message":"no tile 1/1/0"}',
    );
  });

  test('a write the API refuses (403, as an unsigned write would get) fails the run', async () => {
    replies['PUT /items/synthetic-check'] = json(403, { message: 'Forbidden' });
    await expect(run().result).rejects.toThrow(/api-write: PUT \/items\/synthetic-check answered 403.*api-read: not run/);
  });

  test('bad settings or no region fail the run before anything is sent', async () => {
    await expect(run({ API_URL: 'nowhere' }).result).rejects.toThrow('invalid API_URL');
    await expect(run({ AWS_REGION: undefined }).result).rejects.toThrow('AWS_REGION is not set');
    expect(received).toHaveLength(0);
  });
});
