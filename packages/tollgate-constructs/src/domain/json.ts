/**
 * Reading JSON input (environment variables, control parameters, request bodies) with the caller's own
 * one-line error for a value that is not JSON.
 */

/** Whether `value` is a JSON object: not null, not an array. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `text` parsed; when it is not JSON (or absent), throws what `notJson` makes, which names field and value. */
export function parseJson(text: string | undefined, notJson: () => Error): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    throw notJson();
  }
}
