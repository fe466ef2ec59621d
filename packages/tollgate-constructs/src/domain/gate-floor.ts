/**
 * The gate floor: the weakest bake gate a commit may deploy without saying so. Self-mutation deploys a commit's
 * pipeline stack before that commit bakes, so a change to the gate would otherwise decide its own bake. The
 * floor does not come from the commit: on-call keeps it in SSM in the deployment account
 * (`/tollgate/<pipelineName>/gate-floor`); without that parameter {@link DEFAULT_GATE_FLOOR} applies.
 *
 * Pure: the Build step's check (`cdk/gate-check.ts`), the gate's announcement of its own settings change and
 * `tollgate gate-floor` all compare with {@link floorWeakenings}.
 */
import { z } from 'zod';
import type { GateBake, GateSettings } from '../lambdas/bake-gate/settings';
import { parseJson } from './json';
import { ConfigError } from './config-error';
import { controlsHierarchy } from './pipeline-controls';
import { parseWithSchema } from './schema';

/** A bake as `<stage>/<action>`, e.g. `Dev/Bake`. */
const BAKE_ID = /^[A-Za-z0-9.@_-]+\/[A-Za-z0-9.@_-]+$/;

const floorSchema = z.strictObject({
  /** Every required bake but the last (the dev bake) lasts at least this long. */
  minimumBakeMinutes: z.number().int().min(1),
  /** The last required bake (the prod bake) lasts at least this long. */
  minimumProdBakeMinutes: z.number().int().min(1),
  /** No bake of the gate may approve without evidence of traffic (`allowNoTraffic`). */
  requireEvidence: z.boolean(),
  /** The gate-owned approvals that must exist, as `<stage>/<action>`; the prod bake last. */
  requiredBakes: z.array(z.string().regex(BAKE_ID, 'must be <stage>/<action> like Dev/Bake')).min(1),
  /** Who set it, when and why (`tollgate gate-floor set` writes these; not compared). */
  reason: z.string().optional(),
  by: z.string().optional(),
  at: z.string().optional(),
});
export type GateFloor = z.infer<typeof floorSchema>;

/** The floor when on-call has written none: stated in README.md and docs/trust-model.md. */
export const DEFAULT_GATE_FLOOR: GateFloor = Object.freeze({
  minimumBakeMinutes: 30,
  minimumProdBakeMinutes: 10,
  requireEvidence: true,
  requiredBakes: ['Dev/Bake', 'Prod/ProdBake'],
});

/** Set by `ReleasePipeline` on the Build step: the pipeline whose gate `npm run gate-check` checks. */
export const GATE_CHECK_PIPELINE_ENV = 'TOLLGATE_GATE_CHECK_PIPELINE';
/** Set by `ReleasePipeline` on the Build step: the SSM parameter holding the floor. */
export const GATE_FLOOR_PARAMETER_ENV = 'TOLLGATE_GATE_FLOOR_PARAMETER';
/** Set by `ReleasePipeline` on the Build step from the source action's `CommitMessage` variable. */
export const COMMIT_MESSAGE_ENV = 'TOLLGATE_COMMIT_MESSAGE';

/** Where on-call keeps the floor of one pipeline: `/tollgate/<pipelineName>/gate-floor` (JSON). */
export function gateFloorParameterName(pipelineName: string): string {
  return `${controlsHierarchy(pipelineName)}/gate-floor`;
}

/**
 * The floor parameter's value, validated.
 *
 * @throws ConfigError naming the parameter's field and value.
 */
export function parseGateFloor(parameterName: string, json: string): GateFloor {
  const value = parseJson(json, () => new ConfigError(parameterName, json, 'must be JSON'));
  return parseWithSchema(floorSchema, value, parameterName);
}

/** The floor in one line, for messages. */
export function describeFloor(floor: GateFloor): string {
  const bakes = floor.requiredBakes;
  const minimums = bakes.map((id, i) => `${id} ≥ ${minimumMinutes(floor, i)} min`).join(', ');
  return `${minimums}${floor.requireEvidence ? ', evidence of traffic required' : ''}`;
}

/** `Dev/Bake`. */
export function bakeId(bake: Pick<GateBake, 'stageName' | 'actionName'>): string {
  return `${bake.stageName}/${bake.actionName}`;
}

function minimumMinutes(floor: GateFloor, index: number): number {
  return index === floor.requiredBakes.length - 1 ? floor.minimumProdBakeMinutes : floor.minimumBakeMinutes;
}

/**
 * How `settings` fall below `floor`, one plain sentence each; empty when they do not. `undefined` settings
 * mean the pipeline stack has no bake gate at all.
 *
 * The last of `requiredBakes` is held to `minimumProdBakeMinutes`, every other to `minimumBakeMinutes`: by
 * position in the floor, which the commit does not write, and not by anything in the settings it does.
 */
export function floorWeakenings(settings: GateSettings | undefined, floor: GateFloor): string[] {
  if (settings === undefined) return ['no bake gate in the pipeline stack'];
  const weakenings: string[] = [];
  floor.requiredBakes.forEach((id, i) => {
    const bake = settings.bakes.find((b) => bakeId(b) === id);
    if (!bake) {
      weakenings.push(`no gate-owned ${id} approval`);
      return;
    }
    const minimum = minimumMinutes(floor, i);
    if (bake.minutes < minimum) weakenings.push(`${id} lasts ${bake.minutes} min, below the floor of ${minimum} min`);
  });
  if (floor.requireEvidence) {
    for (const bake of settings.bakes) if (bake.allowNoTraffic) weakenings.push(`allowNoTraffic is on for ${bakeId(bake)}`);
  }
  return weakenings;
}

/** The marker a commit message carries to weaken the gate on purpose: `tollgate: weaken-gate <reason>`. */
export const WEAKEN_GATE_MARKER = 'tollgate: weaken-gate';

/** The reason given with {@link WEAKEN_GATE_MARKER} on a line of its own, or undefined (no marker, or no reason). */
export function weakenGateReason(commitMessage: string | undefined): string | undefined {
  for (const line of (commitMessage ?? '').split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith(`${WEAKEN_GATE_MARKER} `)) continue;
    const reason = trimmed.slice(WEAKEN_GATE_MARKER.length).trim();
    if (reason) return reason;
  }
  return undefined;
}
