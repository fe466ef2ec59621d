import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError, TollgateConfig, loadConfig } from '../cdk/config';
import { CliError } from './context';

/** The clone the CLI runs from: `cdk.json`, `cdk.out` and `node_modules` live here. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * The configuration the CDK app synthesizes with: the `tollgate` context object of `cdk.json`, with the same
 * `TOLLGATE_*` environment overrides the app honours, so that the CLI and the app never disagree.
 *
 * @throws CliError (exit 2) naming the field when the configuration is invalid.
 */
export function loadProjectConfig(env: Record<string, string | undefined> = process.env, root = PROJECT_ROOT): TollgateConfig {
  const cdkJsonPath = path.join(root, 'cdk.json');
  let context: unknown;
  try {
    context = (JSON.parse(readFileSync(cdkJsonPath, 'utf8')) as { context?: Record<string, unknown> }).context?.tollgate;
  } catch (err) {
    throw new CliError(`cannot read ${cdkJsonPath}: ${(err as Error).message}`);
  }
  try {
    return loadConfig({ context, env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`${err.message} (in ${cdkJsonPath} or TOLLGATE_* variables)`);
    throw err;
  }
}
