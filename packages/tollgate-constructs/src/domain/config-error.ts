/**
 * A configuration value that cannot be used; the message names the field, the value and, when known, where the
 * value came from (`cdk.json`, `TOLLGATE_DEV_ACCOUNT`, …). The parts stay readable so a command line can restate
 * the same rule in its own words (`--name must match …`).
 */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expectation: string,
    /** Where the value came from: a file, an environment variable, the defaults. */
    readonly source?: string,
  ) {
    super(`invalid configuration: ${field} ${expectation}, got ${JSON.stringify(value)}${source === undefined ? '' : ` (from ${source})`}`);
    this.name = 'ConfigError';
  }
}
