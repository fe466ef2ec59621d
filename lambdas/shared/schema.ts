/**
 * Validating input against a zod schema with Tollgate's one error: the first problem, as one line naming the
 * field's path, what it must be and the value it had.
 */
import type { z } from 'zod';
import { ConfigError } from './config-error';

/** `bakes[0].minutes` from zod's path. */
function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
}

/**
 * `value` parsed by `schema`.
 *
 * @param prefix names where the value came from, e.g. `BAKE_GATE_SETTINGS` or `tollgate`.
 * @throws ConfigError naming the first field that is wrong, its value and what it must be.
 */
export function parseWithSchema<S extends z.ZodType>(schema: S, value: unknown, prefix: string): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const input = issue.input as Record<string, unknown> | undefined;
    throw new ConfigError(fieldPath(prefix, [...issue.path, key]), input?.[key], 'is not a known setting');
  }
  const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  throw new ConfigError(fieldPath(prefix, issue.path), issue.input, message);
}
