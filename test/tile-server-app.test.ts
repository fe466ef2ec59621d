import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTileServer, MAX_ZOOM, tileBounds, tileResponse } from '../service/tile-server/server';

const options = { schemaVersion: 'v1-0123456789ab' };

describe('tileResponse', () => {
  test('health reports the schema version the process started with', () => {
    expect(tileResponse('GET', '/healthz', options)).toEqual({ status: 200, body: { status: 'ok', schemaVersion: 'v1-0123456789ab' } });
  });

  test('a tile carries its bounds and the schema version', () => {
    const answer = tileResponse('GET', '/tiles/1/1/0.json?cache=no', options);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ z: 1, x: 1, y: 0, schemaVersion: 'v1-0123456789ab', bounds: { west: 0, east: 180 } });
  });

  test.each([
    ['/tiles/1/2/0.json', 'no tile 1/2/0'],
    ['/tiles/0/0/1.json', 'no tile 0/0/1'],
    [`/tiles/${MAX_ZOOM + 1}/0/0.json`, `no tile ${MAX_ZOOM + 1}/0/0`],
    ['/tiles/1/0/0.png', 'no route for /tiles/1/0/0.png'],
    ['/', 'no route for /'],
  ])('%s is not found', (url, message) => {
    expect(tileResponse('GET', url, options)).toEqual({ status: 404, body: { message } });
  });

  test('only GET and HEAD', () => {
    expect(tileResponse('POST', '/healthz', options).status).toBe(405);
    expect(tileResponse('HEAD', '/healthz', options).status).toBe(200);
  });
});

test('tileBounds: the world at zoom 0, the equator and the antimeridian split at zoom 1', () => {
  const world = tileBounds(0, 0, 0);
  expect(world.west).toBe(-180);
  expect(world.east).toBe(180);
  expect(world.north).toBeCloseTo(85.0511, 4);
  expect(world.south).toBeCloseTo(-85.0511, 4);
  expect(tileBounds(1, 0, 1)).toMatchObject({ west: -180, east: 0, north: 0 });
});

describe('the server on 127.0.0.1', () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createTileServer(options);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  test('answers the load balancer\'s health check', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ status: 'ok', schemaVersion: 'v1-0123456789ab' });
  });

  test('serves cacheable tiles and uncacheable misses', async () => {
    const tile = await fetch(`${base}/tiles/3/4/2.json`);
    expect(tile.status).toBe(200);
    expect(tile.headers.get('cache-control')).toBe('public, max-age=60');
    const miss = await fetch(`${base}/tiles/3/9/2.json`);
    expect(miss.status).toBe(404);
    expect(miss.headers.get('cache-control')).toBe('no-store');
  });

  test('HEAD carries no body', async () => {
    const res = await fetch(`${base}/healthz`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});
