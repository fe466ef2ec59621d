/**
 * The tags that make a CloudFormation stack a sandbox, shared by the CDK app that writes them, the CLI that
 * lists and renews sandboxes, and the cleaner that deletes expired ones. No CDK imports: the cleaner bundles it.
 */
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';

/** The sandbox's name; only stacks carrying it are ever considered sandboxes. */
export const SANDBOX_TAG = 'tollgate:sandbox';
/** Who owns the sandbox (the OS user who deployed it). */
export const OWNER_TAG = 'tollgate:owner';
/** When the sandbox may be deleted: an ISO-8601 UTC instant, e.g. `2026-12-01T09:30:00Z`. */
export const EXPIRES_TAG = 'tollgate:expires';

/**
 * The release pipeline's own sandbox (its Sandbox stage, stack `Pipeline-Service`): tagged like a personal one, owned
 * by {@link PIPELINE_SANDBOX_OWNER}, without an expiry (the pipeline keeps it), and capitalized so that no
 * personal sandbox name (lower case) can ever be it.
 */
export const PIPELINE_SANDBOX_NAME = 'Pipeline';
/** The owner tag of the pipeline's sandbox. */
export const PIPELINE_SANDBOX_OWNER = 'pipeline';

/** Lifetime of a sandbox deployed or renewed without `--days`. */
export const DEFAULT_SANDBOX_DAYS = 7;
/** Longest lifetime one deploy or renewal grants: a sandbox is for iterating, not for keeping. */
export const MAX_SANDBOX_DAYS = 30;

/** What a sandbox name must look like; `validateSandboxName` in `cdk/config.ts` enforces it at synth. */
export const SANDBOX_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;
/** Stage names a sandbox may not take. */
export const RESERVED_SANDBOX_NAMES: readonly string[] = ['dev', 'prod'];

/** Whether `name` can be a sandbox's name at all. */
export function isSandboxName(name: string): boolean {
  return SANDBOX_NAME_PATTERN.test(name) && !RESERVED_SANDBOX_NAMES.includes(name);
}

const EXPIRY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** `now + days`, to the second, in the tag's format. */
export function expiryAfter(now: Date, days: number): string {
  return isoSeconds(new Date(now.getTime() + days * 86_400_000));
}

/**
 * The instant an expiry tag names, or `undefined` when the value is not exactly `YYYY-MM-DDThh:mm:ssZ` naming a
 * real instant: a malformed expiry never counts as expired.
 */
export function parseExpiry(value: string | undefined): Date | undefined {
  if (value === undefined || !EXPIRY.test(value)) return undefined;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) || isoSeconds(instant) !== value ? undefined : instant;
}
