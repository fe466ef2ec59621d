/**
 * Validating input against a zod schema with Tollgate's one error: the first problem, as one line naming the
 * field's path, what it must be and the value it had. Schemas give their own wording where a rule needs one
 * (`must be a 12-digit AWS account ID`); every other problem is worded here, the same way for every input.
 */
import { z } from 'zod';
import { ConfigError } from './config-error';

/** The first problem zod found, in Tollgate's words. */
export interface SchemaProblem {
  /** The field's path under the prefix, e.g. `tollgate.bakes[0].minutes`. */
  readonly field: string;
  /** The path without the prefix, as zod gives it. */
  readonly path: readonly PropertyKey[];
  readonly value: unknown;
  /** What the value must be, e.g. `must be a whole number from 1 to 60`. */
  readonly expectation: string;
}

/** `bakes[0].minutes` from zod's path. */
function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

/** Tollgate's wording of the problems a schema leaves to the default; the schema's own messages come first. */
function expectationOf(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'unrecognized_keys': {
      const shape = (issue.inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
      return shape ? `is not a known setting (${Object.keys(shape).join(', ')})` : 'is not a known setting';
    }
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      if (issue.origin === 'string' && Number(issue.minimum) === 1) return 'must be a non-empty string';
      if (issue.origin === 'array') return `must list at least ${issue.minimum}`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must list at most ${issue.maximum}`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    default:
      return undefined;
  }
}

/** The problem an issue describes; a union's problem is its object branch's when the value is an object. */
function problemOf(issue: z.core.$ZodIssue, prefix: string, at: readonly PropertyKey[] = []): SchemaProblem {
  const path = [...at, ...issue.path];
  if (issue.code === 'invalid_union' && typeof issue.input === 'object' && issue.input !== null) {
    // An object given for "a name or an object" is wrong inside the object: say where.
    const branch = issue.errors.find((issues) => issues.length > 0 && issues[0].path.length > 0);
    if (branch) return problemOf(branch[0], prefix, path);
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    const input = issue.input as Record<string, unknown> | undefined;
    return { field: fieldPath(prefix, [...path, key]), path: [...path, key], value: input?.[key], expectation: issue.message };
  }
  const expectation = issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  return { field: fieldPath(prefix, path), path, value: issue.input, expectation };
}

/** `value` parsed by `schema`, or the first problem with it. */
export function checkWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
): { readonly ok: true; readonly value: z.output<S> } | { readonly ok: false; readonly problem: SchemaProblem } {
  const result = schema.safeParse(value, { reportInput: true, error: expectationOf });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: problemOf(result.error.issues[0], prefix) };
}

/**
 * `value` parsed by `schema`.
 *
 * @param prefix names the value, e.g. `BAKE_GATE_SETTINGS` or `calendar`.
 * @param sourceOf where the value at a path came from (`cdk.json`, `TOLLGATE_DEV_ACCOUNT`), for the error.
 * @throws ConfigError naming the first field that is wrong, its value and what it must be.
 */
export function parseWithSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: string,
  sourceOf?: (path: readonly PropertyKey[], value: unknown) => string | undefined,
): z.output<S> {
  const result = checkWithSchema(schema, value, prefix);
  if (result.ok) return result.value;
  const { field, path, value: bad, expectation } = result.problem;
  throw new ConfigError(field, bad, expectation, sourceOf?.(path, bad));
}

/** A whole number from `min` to `max`, both included, worded the same for every setting. */
export function wholeNumber(min: number, max: number) {
  const expectation = `must be a whole number from ${min} to ${max}`;
  return z.number({ error: expectation }).int(expectation).min(min, expectation).max(max, expectation);
}

/** A string with something in it besides white space. */
export const nonEmptyString = z.string({ error: 'must be a non-empty string' }).refine((text) => text.trim() !== '', 'must be a non-empty string');
