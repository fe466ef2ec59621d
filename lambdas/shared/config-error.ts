/**
 * A configuration value that cannot be used; the message names the field and the value. The parts stay
 * readable so a command line can restate the same rule in its own words (`--name must match …`).
 */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expectation: string,
  ) {
    super(`invalid configuration: ${field} ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'ConfigError';
  }
}
