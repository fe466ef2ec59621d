/**
 * The bake gate's bakes as the synthesized gate function is told them (its settings variable): where each
 * approval sits, how long it bakes, the alarm latency, and what evidence of traffic it requires.
 */
import { GATE_SETTINGS_ENV, GateSettings, parseGateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import { CliError } from '../context';
import { SynthesizedStack } from './assembly';
import { renderValue } from './promotion';

/** What the gate requires as evidence that the environment served traffic during a bake. */
export type BakeEvidence =
  | { readonly syntheticCoveragePercent?: number; readonly minimumRequests?: number }
  /** `bake.allowNoTraffic`: the gate approves silence. */
  | 'none required';

export interface PlanBake {
  readonly stage: string;
  readonly action: string;
  /** The environment whose health it watches: `dev`, `prod`. */
  readonly environment: string;
  readonly minutes: number;
  /** After the bake, until the alarms could have judged its last minutes: the gate approves no sooner. */
  readonly alarmLatencyMinutes: number;
  readonly evidence: BakeEvidence;
  /** The stage the bake lets the build into (the dev bake); absent when the bake ends the promotion (prod). */
  readonly promotesTo?: string;
  /** The earlier bake whose environment's alarms still count while it runs this build (the prod bake). */
  readonly upstream?: { readonly approval: string; readonly environment: string };
}

/** A check at a stage's door: the build deploys only if the earlier environment stayed clean and this one is ready. */
export interface PlanEntryCheck {
  readonly stage: string;
  readonly action: string;
  /** Whose alarms since its bake still count: `dev`. */
  readonly upstreamEnvironment: string;
  /** The environment entered: its health, and the calendar, hold the build at the door. */
  readonly environment: string;
}

/**
 * The entry checks of the pipeline named `pipelineName`, read from its gate function; none without a gate.
 *
 * @throws CliError when the gate's settings cannot be read.
 */
export function gateEntryChecks(pipelineStack: SynthesizedStack | undefined, pipelineName: string): PlanEntryCheck[] {
  return (gateSettings(pipelineStack, pipelineName)?.entryChecks ?? []).map((c) => ({
    stage: c.stageName,
    action: c.actionName,
    upstreamEnvironment: c.upstream.environments.join(', '),
    environment: c.promotion.environments.join(', '),
  }));
}

function toPlanBakes(settings: GateSettings): PlanBake[] {
  return settings.bakes.map((bake) => {
    // A wave's targets share a bake; the plan shows the first target's evidence settings.
    const env = settings.environments.find((e) => e.name === bake.environments[0])!;
    const { syntheticChecks, requests } = env.evidence;
    return {
      stage: bake.stageName,
      action: bake.actionName,
      environment: bake.environments.join(', '),
      minutes: bake.minutes,
      alarmLatencyMinutes: settings.alarmLatencyMinutes,
      evidence: bake.allowNoTraffic
        ? 'none required'
        : { syntheticCoveragePercent: syntheticChecks?.minimumCoveragePercent, minimumRequests: requests?.minimum },
      promotesTo: bake.promotion?.stageName,
      upstream: bake.upstream && { approval: `${bake.upstream.stageName}/${bake.upstream.actionName}`, environment: bake.upstream.environments.join(', ') },
    };
  });
}

/**
 * The settings of the bake gate of the pipeline named `pipelineName`, read from the gate function in the stack
 * as synthesized; undefined when the stack has no bake gate for that pipeline.
 *
 * @throws CliError when the gate's settings cannot be read.
 */
export function gateSettings(pipelineStack: SynthesizedStack | undefined, pipelineName: string): GateSettings | undefined {
  const resources = pipelineStack?.template.Resources ?? {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    const raw = resource.Type === 'AWS::Lambda::Function' ? resource.Properties?.Environment?.Variables?.[GATE_SETTINGS_ENV] : undefined;
    if (raw === undefined) continue;
    let settings: GateSettings;
    try {
      settings = parseGateSettings(renderValue(raw, resources));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      throw new CliError(`the bake gate ${logicalId} in ${pipelineStack!.stackName} has unreadable settings (${err.message}); run \`npm run synth\` again`);
    }
    if (settings.pipelineName === pipelineName) return settings;
  }
  return undefined;
}

/**
 * The bakes of the pipeline named `pipelineName`, read from the gate function in its stack; none when the
 * pipeline has no bake gate.
 *
 * @throws CliError when the gate's settings cannot be read.
 */
export function gateBakes(pipelineStack: SynthesizedStack | undefined, pipelineName: string): PlanBake[] {
  const settings = gateSettings(pipelineStack, pipelineName);
  return settings ? toPlanBakes(settings) : [];
}
