/**
 * Synthetic checks, the outside part: send the core's requests with `fetch` (signing the API's writes with
 * SigV4 and the canary role's credentials), give up on time, record each step with the Synthetics runtime when
 * it is there, and fail the canary run when any step failed.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  type CheckPorts,
  type CheckRequest,
  type Send,
  type SendOutcome,
  type StepResult,
  type StepRunner,
  describeFailures,
  parseCheckSettings,
  runSyntheticChecks,
} from './checks';

type SourceData = string | ArrayBuffer | ArrayBufferView;

/** SHA-256 and HMAC-SHA256 on node:crypto, in the shape SignatureV4 takes (`new (secret?) => Checksum`). */
export class NodeSha256 {
  private hash: Hash | Hmac;

  constructor(private readonly secret?: SourceData) {
    this.hash = this.create();
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }

  reset(): void {
    this.hash = this.create();
  }

  private create(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * The execution role's credentials, which Lambda (and so a canary, which runs as a Lambda function) puts in
 * the environment ("Defined runtime environment variables", Lambda Developer Guide). Read on every request:
 * they rotate.
 */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Credentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

type SignableRequest = Parameters<SignatureV4['sign']>[0];

/** The request's headers with a SigV4 signature for API Gateway (`execute-api`) added. */
export async function signedHeaders(
  request: CheckRequest,
  region: string,
  credentials: () => Promise<Credentials>,
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: NodeSha256 });
  const unsigned: SignableRequest = {
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    // `url.host` carries a non-default port, as fetch's Host header will: the signature covers it.
    headers: { host: url.host, ...request.headers },
    body: request.body,
  };
  const signed = await signer.sign(unsigned);
  // fetch sets Host itself from the URL (the same value).
  const { host: _host, ...headers } = signed.headers as Record<string, string>;
  return headers;
}

export interface SendDependencies {
  readonly fetch: typeof fetch;
  /** Region of the API, for the signature's scope. */
  readonly region: string;
  readonly credentials: () => Promise<Credentials>;
}

/** Why fetch failed, in one line: undici hides the socket error (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeFetchError(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

/** The core's `send` port over fetch: the whole answer, body included, must arrive within `timeoutMs`. */
export function createSend(deps: SendDependencies): Send {
  return async (request: CheckRequest): Promise<SendOutcome> => {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), request.timeoutMs);
    try {
      const headers = request.sign ? await signedHeaders(request, deps.region, deps.credentials) : { ...request.headers };
      // A fresh connection per check: the canary's environment is frozen between runs, and a pooled socket the
      // server closed meanwhile (a load balancer's idle timeout is 60 s) would fail the next run's first request.
      const response = await deps.fetch(request.url, {
        method: request.method,
        headers: { ...headers, connection: 'close' },
        body: request.body,
        signal: abort.signal,
      });
      return { kind: 'answered', status: response.status, body: await response.text() };
    } catch (err) {
      if (abort.signal.aborted) return { kind: 'timedOut' };
      return { kind: 'failed', error: describeFetchError(err) };
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * `executeStep` of the Synthetics runtime's library, which records each step's result and duration with the
 * run ("Library functions available for Node.js canary scripts using Puppeteer"), or `undefined` outside it
 * (tests, local runs): the checks then run the same, unrecorded.
 */
export function syntheticsStepRunner(load: () => unknown): StepRunner | undefined {
  let library: unknown;
  try {
    library = load();
  } catch {
    return undefined;
  }
  const executeStep = (library as { executeStep?: unknown } | undefined)?.executeStep;
  if (typeof executeStep !== 'function') return undefined;
  return (name, body) => Promise.resolve(executeStep.call(library, name, body)).then(() => undefined);
}

export interface CanaryDependencies extends Omit<CheckPorts, 'send'> {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fetch: typeof fetch;
  readonly log: (message: string, details: Record<string, unknown>) => void;
}

/**
 * One canary run. Resolves with every step's result when all passed; rejects, naming each failed step, when
 * any failed or the settings are bad, so the Synthetics runtime counts the run as failed.
 */
export async function runCanary(deps: CanaryDependencies): Promise<StepResult[]> {
  const settings = parseCheckSettings(deps.env);
  const region = deps.env.AWS_REGION;
  if (!region) throw new Error('AWS_REGION is not set: the API write cannot be signed');
  const send = createSend({ fetch: deps.fetch, region, credentials: async () => credentialsFromEnv(deps.env) });
  const results = await runSyntheticChecks(settings, { send, now: deps.now, runStep: deps.runStep });
  for (const result of results) deps.log('synthetic check', { ...result });
  const failures = describeFailures(results);
  if (failures) throw new Error(`synthetic checks failed: ${failures}`);
  return results;
}
