/**
 * The sample tile server: serves tile metadata for `/tiles/{z}/{x}/{y}.json` and its health at `/healthz`.
 * It reads the data schema version once, at start-up, like the LeadOut tile server that needed a restart to
 * see schema changes; the release restarts it by registering a new task definition.
 */
import { createServer, type Server } from 'node:http';

export interface TileServerOptions {
  /** Version of the data schema this process serves; reported by every answer. */
  readonly schemaVersion: string;
}

export interface TileResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Deepest zoom level served. */
export const MAX_ZOOM = 22;

const TILE_PATH = /^\/tiles\/(\d{1,2})\/(\d{1,7})\/(\d{1,7})\.json$/;

/** Longitude/latitude bounds of a Web Mercator (slippy map) tile. */
export function tileBounds(z: number, x: number, y: number): { west: number; south: number; east: number; north: number } {
  const n = 2 ** z;
  const lon = (i: number) => (i / n) * 360 - 180;
  const lat = (j: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) * 180) / Math.PI;
  return { west: lon(x), south: lat(y + 1), east: lon(x + 1), north: lat(y) };
}

/** Answers one request; pure, so it is tested without a socket. */
export function tileResponse(method: string, url: string, options: TileServerOptions): TileResponse {
  const path = url.split('?')[0];
  if (method !== 'GET' && method !== 'HEAD') return { status: 405, body: { message: `method ${method} not allowed` } };
  if (path === '/healthz') return { status: 200, body: { status: 'ok', schemaVersion: options.schemaVersion } };
  const match = TILE_PATH.exec(path);
  if (!match) return { status: 404, body: { message: `no route for ${path}` } };
  const [z, x, y] = match.slice(1).map(Number);
  if (z > MAX_ZOOM || x >= 2 ** z || y >= 2 ** z) {
    return { status: 404, body: { message: `no tile ${z}/${x}/${y}` } };
  }
  return { status: 200, body: { z, x, y, bounds: tileBounds(z, x, y), schemaVersion: options.schemaVersion } };
}

export function createTileServer(options: TileServerOptions): Server {
  return createServer((req, res) => {
    const { status, body } = tileResponse(req.method ?? 'GET', req.url ?? '/', options);
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': status === 200 ? 'public, max-age=60' : 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body));
  });
}
