/**
 * The field checks every configuration section shares. Each returns the value it checked, typed, or throws a
 * {@link ConfigError} naming the field and the value, so every section words the same mistake the same way.
 */
import { isJsonObject } from '../lambdas/shared/json';
import { ConfigError } from '../lambdas/shared/config-error';

/** `value` as a section (or sub-object) of the configuration, its fields not checked yet. */
export function section(value: unknown, field: string): Record<string, unknown> {
  if (!isJsonObject(value)) throw new ConfigError(field, value, 'must be an object');
  return value;
}

/** Fails on a key the section does not know, so a typo is not silently ignored. */
export function rejectUnknownKeys(value: Record<string, unknown>, known: readonly string[], field: string): void {
  const stray = Object.keys(value).find((key) => !known.includes(key));
  if (stray !== undefined) {
    throw new ConfigError(`${field}.${stray}`, value[stray], `is not a known setting (${known.join(', ')})`);
  }
}

/** `value` as a whole number from `min` to `max`, both included. */
export function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, value, `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** `value` as a string with something in it besides white space. */
export function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(field, value, 'must be a non-empty string');
  return value;
}
