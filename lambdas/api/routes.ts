/**
 * The sample service's request handling as a pure function: a request and a store in, a response out.
 */
import { isJsonObject } from '@tollgate/constructs/lib/domain/json';

export interface ItemStore {
  get(id: string): Promise<Record<string, unknown> | undefined>;
  put(id: string, body: Record<string, unknown>): Promise<void>;
}

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  /**
   * The IAM principal that signed the request, as API Gateway's IAM authorizer reports it; absent for a
   * request that passed no authorizer (the public routes, and a direct invocation such as the smoke test).
   */
  readonly caller?: string;
}

export interface ApiResponse {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
}

/** The header every response carries: the release version that answered. */
export const RELEASE_VERSION_HEADER = 'x-release-version';

/** A response as API Gateway's HTTP API takes it from the function (payload format 2.0), with the release version's header. */
export function httpResult(response: ApiResponse, releaseVersion: string): { statusCode: number; headers: Record<string, string>; body: string } {
  return { statusCode: response.statusCode, headers: { 'content-type': 'application/json', [RELEASE_VERSION_HEADER]: releaseVersion }, body: JSON.stringify(response.body) };
}

const ITEM_PATH = /^\/items\/([A-Za-z0-9_-]{1,64})$/;

/** `version`: the release version (`v1.4.17`, or `unreleased`), answered by `/health`. */
export async function route(request: ApiRequest, store: ItemStore, version: string): Promise<ApiResponse> {
  if (request.path === '/health') {
    // The pre-traffic smoke test and the tile server's clients rely on this shape.
    return request.method === 'GET'
      ? { statusCode: 200, body: { status: 'ok', version } }
      : { statusCode: 405, body: { message: `method ${request.method} not allowed on /health` } };
  }
  const match = ITEM_PATH.exec(request.path);
  if (!match) return { statusCode: 404, body: { message: `no route for ${request.path}` } };
  const id = match[1];
  if (request.method === 'GET') {
    const item = await store.get(id);
    return item ? { statusCode: 200, body: item } : { statusCode: 404, body: { message: `item ${id} not found` } };
  }
  if (request.method === 'PUT') {
    // API Gateway already refuses unsigned writes (IAM authorization on PUT /items/{id}); this holds even if a
    // route change ever sent a write here without the authorizer.
    if (!request.caller) return { statusCode: 403, body: { message: 'writes require IAM authorization (a SigV4-signed request)' } };
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.body ?? '');
    } catch {
      parsed = undefined; // not JSON: the same 400 as any other body that is not an object
    }
    if (!isJsonObject(parsed)) return { statusCode: 400, body: { message: 'body must be a JSON object' } };
    await store.put(id, parsed);
    return { statusCode: 200, body: { id } };
  }
  return { statusCode: 405, body: { message: `method ${request.method} not allowed on /items/{id}` } };
}
