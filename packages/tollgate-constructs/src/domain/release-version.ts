/**
 * Release versions, `v<major>.<minor>.<n>`: `major.minor` is the configuration's `release`, `n` is assigned by the
 * Build, once per commit, from a counter per `major.minor` kept in the release record table beside the records
 * (items `counter#<major.minor>` and `version#<commitId>`).
 *
 * Why once per commit and not once per build: the version is baked into the service stages' templates (an
 * environment variable of the API function), and CDK Pipelines puts the stage templates' asset hashes in the
 * pipeline's own asset-publishing step. A new number on every build would change the pipeline on every
 * self-mutation, which restarts the execution, which builds again: a loop that never ends. Per commit, the number
 * changes once, like any code change, and a rebuild of the same commit (the self-mutation restart, a retried Build)
 * gets the same version. Numbers taken by commits that never reach prod leave gaps; no number is ever reused.
 */

/** The Build's exported variable (and the service's environment variable) that carries the version. */
export const RELEASE_VERSION_VARIABLE = 'RELEASE_VERSION';

/** What the Build tells the release version command: the release line, the table, the commit. */
export const RELEASE_ENV = 'RELEASE';
export const RELEASE_VERSION_TABLE_ENV = 'RELEASE_VERSION_TABLE';
export const RELEASE_COMMIT_ID_ENV = 'RELEASE_COMMIT_ID';

/** What the service reports when it was not built by the pipeline (a sandbox, a test). */
export const UNRELEASED = 'unreleased';

export const RELEASE_VERSION_PATTERN = /^v\d+\.\d+\.\d+$/;
export const RELEASE_PATTERN = /^\d+\.\d+$/;

/** The release line when the configuration names none. */
export const DEFAULT_RELEASE = '0.1';

/** The counter item of a release line. */
export function releaseCounterKey(release: string): string {
  return `counter#${release}`;
}

/** The item that holds a commit's version. */
export function commitVersionKey(commitId: string): string {
  return `version#${commitId}`;
}

/** `v1.4.17`. */
export function formatReleaseVersion(release: string, n: number): string {
  return `v${release}.${n}`;
}

/** Where versions are kept: the release record table, through a thin DynamoDB adapter (`cdk/release-version.ts`). */
export interface ReleaseVersionStore {
  /** The version already assigned to the commit, if any. */
  versionOf(commitId: string): Promise<string | undefined>;
  /** Adds one to the release line's counter, atomically, and answers the new value (starting at 1). */
  increment(release: string): Promise<number>;
  /** Stores the commit's version unless it has one; false when another build stored one first. */
  claim(commitId: string, version: string): Promise<boolean>;
}

/**
 * The commit's version: the one it has, or the next of its release line. Two builds of one commit at once both
 * take a number, one claim wins, and the other answers the winner's version (its number is a gap).
 *
 * @throws Error naming the field when `release` or `commitId` is unusable
 */
export async function assignReleaseVersion(store: ReleaseVersionStore, release: string, commitId: string): Promise<string> {
  if (!RELEASE_PATTERN.test(release)) throw new Error(`release must be <major>.<minor> like 1.4, got ${JSON.stringify(release)}`);
  if (!/^\S+$/.test(commitId)) throw new Error(`commitId must be a commit ID, got ${JSON.stringify(commitId)}`);
  const existing = await store.versionOf(commitId);
  if (existing) return existing;
  const version = formatReleaseVersion(release, await store.increment(release));
  if (await store.claim(commitId, version)) return version;
  const winner = await store.versionOf(commitId);
  if (!winner) throw new Error(`version#${commitId} was claimed by another build but cannot be read`);
  return winner;
}
