// Entry point of the container: configuration from the task definition's environment, then serve.
import { createTileServer } from './server.ts';

const schemaVersion = process.env.SCHEMA_VERSION;
if (!schemaVersion) {
  console.error('tile-server: SCHEMA_VERSION is not set; refusing to serve tiles for an unknown schema');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 8080);
const server = createTileServer({ schemaVersion });
server.listen(port, () => console.log(JSON.stringify({ message: 'tile server listening', port, schemaVersion })));
// ECS stops a task with SIGTERM: finish the requests in flight, then exit.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
