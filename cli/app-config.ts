import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigError, loadConfig, TollgateConfig } from '../cdk/config';
import { CliError } from './context';

/** The nearest `cdk.json` at or above `dir`, or undefined. */
function findCdkJson(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const candidate = join(at, 'cdk.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(at) === at) return undefined;
  }
}

/**
 * The app's configuration exactly as `cdk synth` reads it: the `tollgate` context of the nearest `cdk.json`
 * (from the current directory up), then `TOLLGATE_*` environment variables.
 *
 * @throws CliError (exit 2) when there is no cdk.json or the configuration is invalid.
 */
export function loadAppConfig(cwd: string = process.cwd(), env: Record<string, string | undefined> = process.env): TollgateConfig {
  const file = findCdkJson(cwd);
  if (!file) throw new CliError(`no cdk.json in ${cwd} or above it: run tollgate inside the Tollgate repository`);
  let context: unknown;
  try {
    context = JSON.parse(readFileSync(file, 'utf8'))?.context?.tollgate;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return loadConfig({ context, env });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
}
