import { createHash } from 'node:crypto';

/**
 * The layout of the service's table as its readers depend on it. The tile server reads it at start-up, so
 * its version is part of the tile server's task definition: a change here restarts the tile server's tasks.
 */
export interface TableSchema {
  /** Bumped by hand for a change of meaning that the fields below do not show (e.g. a new document format). */
  readonly version: number;
  /** Name of the partition key attribute (a string). */
  readonly partitionKey: string;
  /** Name of the attribute holding an item's JSON document. */
  readonly documentAttribute: string;
}

export const TABLE_SCHEMA: TableSchema = { version: 1, partitionKey: 'pk', documentAttribute: 'doc' };

/**
 * `v<version>-<hash of the whole schema>`: changes with the hand-kept version and with any field, so a
 * renamed key restarts the tile server even if nobody bumps the version.
 */
export function tableSchemaVersion(schema: TableSchema): string {
  const digest = createHash('sha256').update(JSON.stringify([schema.version, schema.partitionKey, schema.documentAttribute])).digest('hex');
  return `v${schema.version}-${digest.slice(0, 12)}`;
}
