import { ItemStore, route } from '../lambdas/api/routes';

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

test('GET /health answers ok with the running version, for the smoke test', async () => {
  await expect(route({ method: 'GET', path: '/health' }, memoryStore(), '7')).resolves.toEqual({
    statusCode: 200,
    body: { status: 'ok', version: '7' },
  });
  expect((await route({ method: 'POST', path: '/health' }, memoryStore(), '7')).statusCode).toBe(405);
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
