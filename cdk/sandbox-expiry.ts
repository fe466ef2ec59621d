import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import { DEFAULT_SANDBOX_DAYS, MAX_SANDBOX_DAYS, expiryAfter, parseExpiry } from '../lambdas/shared/sandbox-tags';

/**
 * When the sandbox being synthesized expires: the `sandboxExpires` context value (`tollgate sandbox deploy`
 * always sets it), else {@link DEFAULT_SANDBOX_DAYS} days from `now`, so that a plain `cdk deploy` of a sandbox
 * expires too.
 *
 * @throws ConfigError unless the value is a UTC instant like `2026-12-01T09:30:00Z`, in the future and at most
 *   {@link MAX_SANDBOX_DAYS} days ahead.
 */
export function resolveSandboxExpiry(explicit: unknown, now: Date): string {
  if (explicit === undefined) return expiryAfter(now, DEFAULT_SANDBOX_DAYS);
  const instant = typeof explicit === 'string' ? parseExpiry(explicit) : undefined;
  if (!instant) throw new ConfigError('sandboxExpires', explicit, 'must be a UTC instant like 2026-12-01T09:30:00Z');
  if (instant.getTime() <= now.getTime() || instant.getTime() > now.getTime() + MAX_SANDBOX_DAYS * 86_400_000) {
    throw new ConfigError('sandboxExpires', explicit, `must be in the future and at most ${MAX_SANDBOX_DAYS} days ahead`);
  }
  return explicit as string;
}
