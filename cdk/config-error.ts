/**
 * A configuration value that cannot be used; the message names the field and the value.
 *
 * Kept apart from `config.ts` so that Lambda code (e.g. the release calendar, which `config.ts` itself imports)
 * can throw it without an import cycle.
 */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    expectation: string,
  ) {
    super(`invalid configuration: ${field} ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'ConfigError';
  }
}
