/**
 * `npm run gate-check` (`tsx cdk/gate-check.ts cdk.out`): the Build step's check, after synth and before
 * self-mutation, that the commit does not weaken its own bake gate below the floor. Self-mutation deploys the
 * commit's gate before the commit bakes, so the gate a commit brings is the gate that judges it.
 *
 * In CodeBuild the deployed pipeline tells it (environment variables set by `ReleasePipeline`, not by the
 * commit) which pipeline's gate to find, where the floor is (`/tollgate/<pipeline>/gate-floor` in SSM,
 * written by on-call; absent: the built-in default) and the commit message. A weakening fails the build, one
 * line each, unless the commit message carries `tollgate: weaken-gate <reason>`; then it passes, and the gate
 * announces its changed settings on the release topic when it first runs with them.
 *
 * Outside CodeBuild (a developer, no credentials) it compares with the built-in default floor and says so.
 * Exit codes: 0 within the floor (or marked), 1 below it or cannot tell (fail closed).
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { loadAppConfig } from '../cli/app-config';
import { CliError } from '../cli/context';
import { readParameter } from '../cli/control-parameters';
import { readAssembly } from '../cli/plan/assembly';
import { gateSettings } from '../cli/plan/bakes';
import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import {
  COMMIT_MESSAGE_ENV,
  DEFAULT_GATE_FLOOR,
  describeFloor,
  floorWeakenings,
  GATE_CHECK_PIPELINE_ENV,
  GATE_FLOOR_PARAMETER_ENV,
  GateFloor,
  parseGateFloor,
  WEAKEN_GATE_MARKER,
  weakenGateReason,
} from '@tollgate/constructs/lib/domain/gate-floor';

export interface GateCheckIo {
  readonly env: Record<string, string | undefined>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** The floor parameter's value, or undefined when it does not exist; any other failure throws. */
  readonly readParameter: (name: string) => Promise<string | undefined>;
  /** The pipeline name outside CodeBuild. @default - from cdk.json, as synth reads it */
  readonly localPipelineName?: () => string;
}

interface FloorSource {
  readonly pipelineName: string;
  readonly floor: GateFloor;
  /** Where the floor came from, in words. */
  readonly origin: string;
}

async function floorSource(io: GateCheckIo): Promise<FloorSource> {
  const { env } = io;
  if (!env.CODEBUILD_BUILD_ID) {
    const pipelineName = (io.localPipelineName ?? (() => loadAppConfig().pipelineName))();
    return {
      pipelineName,
      floor: DEFAULT_GATE_FLOOR,
      origin: 'not in CodeBuild: the built-in default floor (the pipeline compares with the floor on-call keeps in SSM)',
    };
  }
  const pipelineName = env[GATE_CHECK_PIPELINE_ENV];
  const parameterName = env[GATE_FLOOR_PARAMETER_ENV];
  if (!pipelineName || !parameterName) {
    throw new CliError(`${GATE_CHECK_PIPELINE_ENV} and ${GATE_FLOOR_PARAMETER_ENV} must be set in CodeBuild (the pipeline's Build step sets them)`, 1);
  }
  let raw: string | undefined;
  try {
    raw = await io.readParameter(parameterName);
  } catch (err) {
    throw new CliError(`the gate floor cannot be read, so the gate cannot be checked: ${(err as Error).message}`, 1);
  }
  if (raw === undefined) return { pipelineName, floor: DEFAULT_GATE_FLOOR, origin: `no ${parameterName}: the built-in default floor` };
  try {
    return { pipelineName, floor: parseGateFloor(parameterName, raw), origin: parameterName };
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 1);
    throw err;
  }
}

/** Checks the assembly in `dir`; resolves to the exit code. */
export async function runGateCheck(dir: string, io: GateCheckIo): Promise<number> {
  try {
    const { pipelineName, floor, origin } = await floorSource(io);
    io.out(`gate-check: floor (${origin}): ${describeFloor(floor)}`);
    const settings = readAssembly(dir)
      .map((stack) => gateSettings(stack, pipelineName))
      .find((s) => s !== undefined);
    const weakenings = floorWeakenings(settings, floor);
    if (weakenings.length === 0) {
      io.out(`gate-check: the bake gate of ${pipelineName} is within the floor`);
      return 0;
    }
    const reason = weakenGateReason(io.env[COMMIT_MESSAGE_ENV]);
    if (reason !== undefined) {
      for (const w of weakenings) io.out(`gate-check: weakens the gate of ${pipelineName}, on purpose ("${reason}"): ${w}`);
      io.out('gate-check: passing by the commit marker; the gate announces its new settings on the release topic');
      return 0;
    }
    for (const w of weakenings) io.err(`gate-check: weakens the gate of ${pipelineName}: ${w}`);
    io.err(`gate-check: to do this on purpose, give the commit message a line "${WEAKEN_GATE_MARKER} <reason>"`);
    return 1;
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(`gate-check: ${err.message}`);
    return 1;
  }
}

if (require.main === module) {
  runGateCheck(process.argv[2] ?? 'cdk.out', {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readParameter: (name) => readParameter(new SSMClient({}), name),
  }).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`gate-check: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
