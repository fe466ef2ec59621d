/** A configuration value that cannot be used; the message names the field and the value. */
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
