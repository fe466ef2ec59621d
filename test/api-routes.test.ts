import { httpResult, ItemStore, route } from '../lambdas/api/routes';

function memoryStore(initial: Record<string, Record<string, unknown>> = {}): ItemStore & { items: typeof initial } {
  const items = { ...initial };
  return {
    items,
    get: async (id) => items[id],
    put: async (id, body) => {
      items[id] = body;
    },
  };
}

test('GET /health answers ok with the release version, for the smoke test and for people', async () => {
  await expect(route({ method: 'GET', path: '/health' }, memoryStore(), 'v1.4.17')).resolves.toEqual({
    statusCode: 200,
    body: { status: 'ok', version: 'v1.4.17' },
  });
  expect((await route({ method: 'POST', path: '/health' }, memoryStore(), 'v1.4.17')).statusCode).toBe(405);
});

test('every response, an error too, carries the release version in x-release-version', async () => {
  const missing = await route({ method: 'GET', path: '/nowhere' }, memoryStore(), 'v1.4.17');
  expect(httpResult(missing, 'v1.4.17')).toEqual({
    statusCode: 404,
    headers: { 'content-type': 'application/json', 'x-release-version': 'v1.4.17' },
    body: JSON.stringify({ message: 'no route for /nowhere' }),
  });
});

test('the deployed handler reports the version from RELEASE_VERSION, and unreleased without it', async () => {
  const load = async (env: string | undefined) => {
    jest.resetModules();
    if (env === undefined) delete process.env.RELEASE_VERSION;
    else process.env.RELEASE_VERSION = env;
    const { handler } = await import('../lambdas/api/index');
    return handler({ requestContext: { http: { method: 'GET' } }, rawPath: '/health' } as never);
  };
  try {
    expect(await load('v1.4.17')).toMatchObject({ headers: { 'x-release-version': 'v1.4.17' }, body: JSON.stringify({ status: 'ok', version: 'v1.4.17' }) });
    expect(await load(undefined)).toMatchObject({ headers: { 'x-release-version': 'unreleased' }, body: JSON.stringify({ status: 'ok', version: 'unreleased' }) });
  } finally {
    delete process.env.RELEASE_VERSION;
  }
});

const CALLER = 'arn:aws:sts::222222222222:assumed-role/dev-service-checks/cwsyn-dev-service-checks';

test('PUT then GET an item round-trips it through the store', async () => {
  const store = memoryStore();
  expect(await route({ method: 'PUT', path: '/items/pipe-1', body: '{"lead":true}', caller: CALLER }, store, '1')).toEqual({ statusCode: 200, body: { id: 'pipe-1' } });
  expect(store.items['pipe-1']).toEqual({ lead: true });
  expect(await route({ method: 'GET', path: '/items/pipe-1' }, store, '1')).toEqual({ statusCode: 200, body: { lead: true } });
});

test.each([
  [{ method: 'GET', path: '/items/missing' }, 404, 'item missing not found'],
  [{ method: 'GET', path: '/nowhere' }, 404, 'no route for /nowhere'],
  [{ method: 'GET', path: '/items/bad id' }, 404, 'no route for /items/bad id'],
  [{ method: 'PUT', path: '/items/x', body: '{"a":1}' }, 403, 'writes require IAM authorization (a SigV4-signed request)'],
  [{ method: 'PUT', path: '/items/x', body: 'not json', caller: CALLER }, 400, 'body must be a JSON object'],
  [{ method: 'PUT', path: '/items/x', body: '[1]', caller: CALLER }, 400, 'body must be a JSON object'],
  [{ method: 'PUT', path: '/items/x', caller: CALLER }, 400, 'body must be a JSON object'],
  [{ method: 'DELETE', path: '/items/x' }, 405, 'method DELETE not allowed on /items/{id}'],
])('%j answers %i', async (request, status, message) => {
  const store = memoryStore();
  expect(await route(request, store, '1')).toEqual({ statusCode: status, body: { message } });
  expect(store.items).toEqual({});
});
