/**
 * How the functions put a failed AWS call into words: one line with AWS's own error name (what its
 * documentation and search know), the message, and the HTTP status and attempts when the SDK reports them.
 */

/** A failed AWS call, already described; an outer {@link describedCall} does not describe it again. */
class AwsCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AwsCallError';
  }
}

/** `AccessDenied: User ... is not authorized ... (HTTP 403, 1 attempt)`. */
export function describeError(err: unknown): string {
  if (err instanceof AwsCallError) return err.message;
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  const meta = e.$metadata;
  const detail = [
    meta?.httpStatusCode !== undefined ? `HTTP ${meta.httpStatusCode}` : undefined,
    meta?.attempts !== undefined ? `${meta.attempts} attempt${meta.attempts === 1 ? '' : 's'}` : undefined,
  ].filter(Boolean);
  return `${e.name ?? 'Error'}: ${e.message ?? String(err)}${detail.length ? ` (${detail.join(', ')})` : ''}`;
}

/** Runs one AWS call (its retries included) and turns any failure into `<what>: <error>`, said once. */
export async function describedCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AwsCallError) throw err;
    throw new AwsCallError(`${what}: ${describeError(err)}`);
  }
}
