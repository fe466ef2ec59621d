/**
 * Pre-traffic smoke test, the pure part: what request to send to the new version, and whether its answer lets
 * CodeDeploy shift traffic. No AWS, no clock of its own.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { isJsonObject, parseJson } from '@tollgate/constructs/lib/domain/json';
import { checkWithSchema } from '@tollgate/constructs/lib/domain/schema';

/** The verdict CodeDeploy receives through `PutLifecycleEventHookExecutionStatus`. */
export type LifecycleStatus = 'Succeeded' | 'Failed';

export interface Verdict {
  readonly status: LifecycleStatus;
  /** One line for the log: why. */
  readonly reason: string;
}

/** The two IDs CodeDeploy sends a lifecycle hook; both are needed to report back. */
export interface HookEvent {
  readonly deploymentId: string;
  readonly lifecycleEventHookExecutionId: string;
}

/** A request to the API, as the smoke test sends it (shaped into an HTTP API event by {@link httpApiEvent}). */
export interface SmokeRequest {
  readonly method: string;
  /** Path with a leading `/`, without the query string. */
  readonly path: string;
  /** Raw query string without `?`. @default '' */
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Everything the hook is configured with (environment variables, see {@link parseHookSettings}). */
export interface HookSettings {
  /** Qualified ARN of the version under test (`…:function:name:7`). */
  readonly targetFunctionArn: string;
  readonly request: SmokeRequest;
  /** HTTP status the answer must carry. */
  readonly expectedStatusCode: number;
  /** The answer must arrive within this many milliseconds (cold start included). */
  readonly timeoutMs: number;
}

/** What came back from invoking the new version. */
export type InvokeOutcome =
  /** Lambda answered; `functionError` is set when the function itself failed (`X-Amz-Function-Error`). */
  | { readonly kind: 'answered'; readonly payload: string; readonly functionError?: string; readonly elapsedMs: number }
  /** No answer within the timeout. */
  | { readonly kind: 'timedOut'; readonly elapsedMs: number }
  /** The Invoke call itself failed (access denied, throttled, function not found, ...). */
  | { readonly kind: 'invokeFailed'; readonly error: string };

/** Bad input the hook cannot act on; the message names the field and the value. */
export class HookInputError extends Error {
  constructor(field: string, value: unknown, expectation: string) {
    super(`invalid ${field}: ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'HookInputError';
  }
}

const QUALIFIED_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+:\d+$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The two IDs of CodeDeploy's hook event; the event carries nothing else the hook uses. */
const hookEventSchema = z
  .looseObject({
    DeploymentId: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
    LifecycleEventHookExecutionId: z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string'),
  })
  .transform(({ DeploymentId, LifecycleEventHookExecutionId }): HookEvent => ({ deploymentId: DeploymentId, lifecycleEventHookExecutionId: LifecycleEventHookExecutionId }));

/** Reads CodeDeploy's hook event. @throws HookInputError without both IDs (then nothing can be reported). */
export function parseHookEvent(event: unknown): HookEvent {
  const result = checkWithSchema(hookEventSchema, isJsonObject(event) ? event : {}, 'event');
  if (!result.ok) throw new HookInputError(result.problem.field, result.problem.value, result.problem.expectation);
  return result.value;
}

/** Checks a smoke request; used at synth (by the construct) and at run time (from the environment). */
export function validateSmokeRequest(raw: unknown, field = 'smokeRequest'): SmokeRequest {
  if (!isJsonObject(raw)) throw new HookInputError(field, raw, 'must be an object');
  if (typeof raw.method !== 'string' || !METHODS.includes(raw.method)) {
    throw new HookInputError(`${field}.method`, raw.method, `must be one of ${METHODS.join(', ')}`);
  }
  if (typeof raw.path !== 'string' || !raw.path.startsWith('/') || raw.path.includes('?')) {
    throw new HookInputError(`${field}.path`, raw.path, 'must start with / and carry no query string');
  }
  if (raw.query !== undefined && typeof raw.query !== 'string') throw new HookInputError(`${field}.query`, raw.query, 'must be a string');
  if (raw.body !== undefined && typeof raw.body !== 'string') throw new HookInputError(`${field}.body`, raw.body, 'must be a string');
  const headers = raw.headers;
  if (headers !== undefined && (!isJsonObject(headers) || Object.values(headers).some((v) => typeof v !== 'string'))) {
    throw new HookInputError(`${field}.headers`, headers, 'must map header names to strings');
  }
  return raw as unknown as SmokeRequest;
}

/** Reads the hook's environment. @throws HookInputError naming the first bad variable. */
export function parseHookSettings(env: Readonly<Record<string, string | undefined>>): HookSettings {
  const targetFunctionArn = env.TARGET_FUNCTION_ARN;
  if (typeof targetFunctionArn !== 'string' || !QUALIFIED_FUNCTION_ARN.test(targetFunctionArn)) {
    throw new HookInputError('TARGET_FUNCTION_ARN', targetFunctionArn, 'must be a Lambda function ARN qualified with a version number');
  }
  const request = parseJson(env.SMOKE_REQUEST, () => new HookInputError('SMOKE_REQUEST', env.SMOKE_REQUEST, 'must be JSON'));
  const expectedStatusCode = Number(env.EXPECTED_STATUS_CODE);
  if (!Number.isInteger(expectedStatusCode) || expectedStatusCode < 100 || expectedStatusCode > 599) {
    throw new HookInputError('EXPECTED_STATUS_CODE', env.EXPECTED_STATUS_CODE, 'must be an HTTP status code');
  }
  const timeoutMs = Number(env.SMOKE_TIMEOUT_MS);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new HookInputError('SMOKE_TIMEOUT_MS', env.SMOKE_TIMEOUT_MS, 'must be a positive whole number of milliseconds');
  }
  return { targetFunctionArn, request: validateSmokeRequest(request, 'SMOKE_REQUEST'), expectedStatusCode, timeoutMs };
}

/**
 * The API Gateway HTTP API (payload format 2.0) event the function would receive for `request` at `now`:
 * the smoke test exercises the same handler path as real traffic.
 */
export function httpApiEvent(request: SmokeRequest, now: Date, requestId: string): APIGatewayProxyEventV2 {
  const headers = { 'user-agent': 'tollgate-pre-traffic-hook', ...request.headers };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    headers,
    ...(request.query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(request.query)) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'pre-traffic-hook',
      domainName: 'pre-traffic-hook.invalid',
      domainPrefix: 'pre-traffic-hook',
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] },
      requestId,
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(request.body !== undefined ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

/**
 * Judges the new version's answer. Anything but a well-formed answer with the expected status, in time, fails:
 * a function error, a timeout, an Invoke failure, a payload that is not a JSON object with a numeric `statusCode`.
 */
export function judgeSmokeTest(outcome: InvokeOutcome, settings: Pick<HookSettings, 'expectedStatusCode' | 'timeoutMs'>): Verdict {
  const failed = (reason: string): Verdict => ({ status: 'Failed', reason });
  switch (outcome.kind) {
    case 'invokeFailed':
      return failed(`invoking the new version failed: ${outcome.error}`);
    case 'timedOut':
      return failed(`the new version did not answer within ${settings.timeoutMs} ms`);
    case 'answered':
      break;
  }
  if (outcome.elapsedMs > settings.timeoutMs) {
    return failed(`the new version answered after ${outcome.elapsedMs} ms, more than ${settings.timeoutMs} ms`);
  }
  if (outcome.functionError !== undefined) {
    return failed(`the new version raised a ${outcome.functionError} error: ${outcome.payload.slice(0, 200)}`);
  }
  let answer: unknown;
  try {
    answer = JSON.parse(outcome.payload);
  } catch {
    return failed(`malformed answer (not JSON): ${outcome.payload.slice(0, 200)}`);
  }
  if (!isJsonObject(answer)) {
    return failed(`malformed answer (not an object): ${outcome.payload.slice(0, 200)}`);
  }
  const statusCode = answer.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) {
    return failed(`malformed answer (no numeric statusCode): ${outcome.payload.slice(0, 200)}`);
  }
  if (statusCode !== settings.expectedStatusCode) {
    return failed(`the new version answered ${statusCode}, expected ${settings.expectedStatusCode}`);
  }
  return { status: 'Succeeded', reason: `the new version answered ${statusCode} in ${outcome.elapsedMs} ms` };
}
