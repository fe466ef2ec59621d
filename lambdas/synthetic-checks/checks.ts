/**
 * Synthetic checks, the pure part: which requests one canary run sends to the service and whether each answer
 * is right. The requests go out through an injected `send` port and time comes from an injected clock, so every
 * failure is tested without a network, a timer or the Synthetics runtime.
 */
import { isJsonObject } from '@tollgate/constructs/lib/domain/json';

/** One HTTP request of a check. The adapter signs it when `sign` is set and gives up after `timeoutMs`. */
export interface CheckRequest {
  readonly method: 'GET' | 'PUT';
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Sign with SigV4 (the API's writes require IAM authorization). */
  readonly sign?: boolean;
  readonly timeoutMs: number;
}

/** What came back for a request. */
export type SendOutcome =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string }
  /** No complete answer within the request's `timeoutMs`. */
  | { readonly kind: 'timedOut' }
  /** The request could not be sent or the connection broke (DNS, refused, reset, TLS, signing). */
  | { readonly kind: 'failed'; readonly error: string };

export type Send = (request: CheckRequest) => Promise<SendOutcome>;

/**
 * Runs one named step; the Synthetics adapter records it as a canary step (`executeStep`). `body` rejects when
 * the step failed, and the runner must pass that rejection on.
 */
export type StepRunner = (name: string, body: () => Promise<void>) => Promise<void>;

export interface CheckPorts {
  readonly send: Send;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** @default - runs the step as it is */
  readonly runStep?: StepRunner;
}

/** Where the service answers and how long each request may take. */
export interface CheckSettings {
  /** The HTTP API's endpoint, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com`. */
  readonly apiUrl: string;
  /** The tile server's load balancer, e.g. `http://tiles-123.us-east-1.elb.amazonaws.com`. */
  readonly tileServerUrl: string;
  readonly timeoutMs: number;
}

export interface StepResult {
  readonly name: string;
  readonly ok: boolean;
  /** HTTP status, when there was an answer. */
  readonly status?: number;
  readonly durationMs: number;
  /** Why the step failed (absent when it passed). */
  readonly reason?: string;
}

/** The item the write/read check uses: always the same id, so the table does not grow. */
export const SYNTHETIC_ITEM_ID = 'synthetic-check';
/** A tile that exists at every schema version (zoom 1, east half, north row): the tile server's real data path. */
export const SYNTHETIC_TILE = { z: 1, x: 1, y: 0 } as const;

/** Bad settings the checks cannot run with; the message names the variable and the value. */
export class CheckSettingsError extends Error {
  constructor(field: string, value: unknown, expectation: string) {
    super(`invalid ${field}: ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'CheckSettingsError';
  }
}

function baseUrl(env: Readonly<Record<string, string | undefined>>, field: string): string {
  const value = env[field];
  let url: URL | undefined;
  try {
    url = new URL(value ?? '');
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
    throw new CheckSettingsError(field, value, 'must be an absolute http(s) URL without query or fragment');
  }
  return value!.replace(/\/+$/, '');
}

/** Reads the canary's environment. @throws CheckSettingsError naming the first bad variable. */
export function parseCheckSettings(env: Readonly<Record<string, string | undefined>>): CheckSettings {
  const apiUrl = baseUrl(env, 'API_URL');
  const tileServerUrl = baseUrl(env, 'TILE_SERVER_URL');
  const timeoutMs = Number(env.CHECK_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new CheckSettingsError('CHECK_TIMEOUT_MS', env.CHECK_TIMEOUT_MS, 'must be a positive whole number of milliseconds');
  }
  return { apiUrl, tileServerUrl, timeoutMs };
}

/** JSON equality that ignores the order of object keys (DynamoDB and JSON.stringify need not keep it). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  }
  if (isJsonObject(a) || isJsonObject(b)) {
    if (!isJsonObject(a) || !isJsonObject(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameJson(a[k], b[k]));
  }
  return a === b;
}

const excerpt = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

/** What a step checks of an answer: `undefined` when it is right, else why not. */
type Judge = (body: unknown) => string | undefined;

interface StepSpec {
  readonly name: string;
  readonly request: CheckRequest;
  readonly judge: Judge;
}

/** Sends one request and judges its answer: status 200 in time, a JSON body the judge accepts. */
async function check(spec: StepSpec, ports: CheckPorts): Promise<StepResult> {
  const { request } = spec;
  const what = `${request.method} ${new URL(request.url).pathname}`;
  const started = ports.now();
  const outcome = await ports.send(request);
  const durationMs = ports.now() - started;
  const result = (reason?: string, status?: number): StepResult => ({
    name: spec.name,
    ok: reason === undefined,
    ...(status !== undefined ? { status } : {}),
    durationMs,
    ...(reason !== undefined ? { reason } : {}),
  });
  if (outcome.kind === 'timedOut') return result(`${what} did not answer within ${request.timeoutMs} ms`);
  if (outcome.kind === 'failed') return result(`${what} failed: ${outcome.error}`);
  const { status, body } = outcome;
  if (durationMs > request.timeoutMs) return result(`${what} answered after ${durationMs} ms, more than ${request.timeoutMs} ms`, status);
  if (status !== 200) return result(`${what} answered ${status}, expected 200: ${excerpt(body)}`, status);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return result(`${what} answered a body that is not JSON: ${excerpt(body)}`, status);
  }
  const wrong = spec.judge(parsed);
  return result(wrong === undefined ? undefined : `${what} answered ${excerpt(body)}: ${wrong}`, status);
}

/** Marks a failed step's body as rejected, so a step runner (Synthetics) records the step as failed. */
class StepFailed extends Error {
  constructor(readonly result: StepResult) {
    super(result.reason);
    this.name = 'StepFailed';
  }
}

async function runStep(spec: StepSpec, ports: CheckPorts): Promise<StepResult> {
  const runner = ports.runStep ?? ((_name, body) => body());
  let result: StepResult | undefined;
  const started = ports.now();
  try {
    await runner(spec.name, async () => {
      result = await check(spec, ports);
      if (!result.ok) throw new StepFailed(result);
    });
  } catch (err) {
    if (!(err instanceof StepFailed) && result?.ok !== false) {
      // The runner itself failed: nothing proves the step passed (fail closed).
      const reason = `the step could not run: ${err instanceof Error ? err.message : String(err)}`;
      result = { name: spec.name, ok: false, durationMs: ports.now() - started, reason };
    }
  }
  return result ?? { name: spec.name, ok: false, durationMs: ports.now() - started, reason: 'the step runner never ran the step' };
}

const statusOk: Judge = (body) => (isJsonObject(body) && body.status === 'ok' ? undefined : 'expected status "ok"');

/**
 * One canary run: the API's health, a write then a read of the same item (which must return what was written),
 * the tile server's health and one real tile. Every step runs, whatever failed before it, except the read after
 * a failed write (it has nothing to compare with and fails too). The run passed when every step did.
 */
export async function runSyntheticChecks(settings: CheckSettings, ports: CheckPorts): Promise<StepResult[]> {
  const get = (url: string): CheckRequest => ({ method: 'GET', url, timeoutMs: settings.timeoutMs });
  const itemUrl = `${settings.apiUrl}/items/${SYNTHETIC_ITEM_ID}`;
  // The time of the run, so a read that returns an older run's item (a lost write) fails.
  const written = { checkedAt: new Date(ports.now()).toISOString(), source: 'synthetic-checks' };
  const { z, x, y } = SYNTHETIC_TILE;

  const results: StepResult[] = [];
  results.push(await runStep({ name: 'api-health', request: get(`${settings.apiUrl}/health`), judge: statusOk }, ports));
  const write = await runStep({
    name: 'api-write',
    request: {
      method: 'PUT',
      url: itemUrl,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(written),
      sign: true,
      timeoutMs: settings.timeoutMs,
    },
    judge: (body) => (isJsonObject(body) && body.id === SYNTHETIC_ITEM_ID ? undefined : `expected {"id":"${SYNTHETIC_ITEM_ID}"}`),
  }, ports);
  results.push(write);
  results.push(write.ok
    ? await runStep({
      name: 'api-read',
      request: get(itemUrl),
      judge: (body) => (sameJson(body, written) ? undefined : `not what was written: ${JSON.stringify(written)}`),
    }, ports)
    : { name: 'api-read', ok: false, durationMs: 0, reason: 'not run: the write before it failed' });
  results.push(await runStep({ name: 'tile-health', request: get(`${settings.tileServerUrl}/healthz`), judge: statusOk }, ports));
  results.push(await runStep({
    name: 'tile-data',
    request: get(`${settings.tileServerUrl}/tiles/${z}/${x}/${y}.json`),
    judge: (body) =>
      isJsonObject(body) && body.z === z && body.x === x && body.y === y && isJsonObject(body.bounds)
        ? undefined
        : `expected tile ${z}/${x}/${y} with its bounds`,
  }, ports));
  return results;
}

/** One line per failed step, or `undefined` when the run passed. */
export function describeFailures(results: readonly StepResult[]): string | undefined {
  const failed = results.filter((r) => !r.ok);
  return failed.length === 0 ? undefined : failed.map((r) => `${r.name}: ${r.reason}`).join('; ');
}
