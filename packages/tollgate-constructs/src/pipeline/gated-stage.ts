import * as pipelines from 'aws-cdk-lib/pipelines';
import { GateEnvironmentProps } from './bake-gate';
import { GateBakeProps, GateEntryCheckProps } from './gate-approvals';

/** A timed, alarm-watched bake at the end of a gated stage: its approval is the stage's last action. */
export type StageBake = Omit<GateBakeProps, 'stageName' | 'environment' | 'promotion' | 'upstream'>;

/** A check at a gated stage's door, before its first deployment: the previous bake's stage is still clean. */
export type StageEntryCheck = Omit<GateEntryCheckProps, 'stageName' | 'environment' | 'upstream'>;

/** How {@link ReleasePipeline.addGatedStage} adds a stage: what the bake gate watches there and holds it by. */
export interface GatedStageOptions {
  /**
   * The stage's environment as the bake gate watches it: account, region, alarms and the evidence of traffic.
   *
   * @default - the gate does not watch the stage; it has no bake and no entry check
   */
  readonly environment?: GateEnvironmentProps;
  /**
   * A bake after the stage's deployments. When a later gated stage follows, the bake promotes to it (the gate
   * holds a baked build while that stage is unhealthy or the calendar is closed); an earlier bake is its upstream.
   *
   * @default - no bake
   */
  readonly bake?: StageBake;
  /**
   * A check before the stage's deployments that the last bake before it is still clean, however a build got here.
   * Its `lateStartMargin` is also the margin the bake before it promotes with.
   *
   * @default - no entry check
   */
  readonly entryCheck?: StageEntryCheck;
  /**
   * A failed stage (its bake rejected included) redeploys the last successful release (V2 `onFailure: ROLLBACK`).
   *
   * @default false
   */
  readonly rollBackOnFailure?: boolean;
  /**
   * CDK Pipelines steps before the stage's deployments (e.g. approvals, checks), before any entry check.
   *
   * @default - none
   */
  readonly pre?: pipelines.Step[];
  /**
   * CDK Pipelines steps after the stage's deployments (e.g. tests), before any bake.
   *
   * @default - none
   */
  readonly post?: pipelines.Step[];
}

/** A stage added with {@link GatedStageOptions}, under its pipeline stage name. */
export interface GatedStage extends GatedStageOptions {
  readonly stageName: string;
}

/** What the bake gate owns for these stages, in promotion order: its environments, bakes and entry checks. */
export function gateOwnedActions(stages: readonly GatedStage[]): {
  environments: GateEnvironmentProps[];
  bakes: GateBakeProps[];
  entryChecks: GateEntryCheckProps[];
} {
  const watched = stages.filter((s): s is GatedStage & { environment: GateEnvironmentProps } => s.environment !== undefined);
  for (const s of stages) {
    if ((s.bake || s.entryCheck) && !s.environment) throw new Error(`ReleasePipeline: stage ${s.stageName} has a bake or entry check but no environment`);
  }
  const bakes: GateBakeProps[] = [];
  const entryChecks: GateEntryCheckProps[] = [];
  watched.forEach((s, i) => {
    const baked = watched.slice(0, i).filter((p) => p.bake);
    const upstream = baked.length > 0 ? { stageName: baked[baked.length - 1].stageName, environment: baked[baked.length - 1].environment.name } : undefined;
    const next = watched[i + 1];
    if (s.bake) {
      bakes.push({
        ...s.bake,
        stageName: s.stageName,
        environment: s.environment.name,
        promotion: next && { stageName: next.stageName, environment: next.environment.name, lateStartMargin: next.entryCheck?.lateStartMargin },
        upstream,
      });
    }
    if (s.entryCheck) {
      if (!upstream) throw new Error(`ReleasePipeline: stage ${s.stageName} has an entry check but no baked stage before it`);
      entryChecks.push({ ...s.entryCheck, stageName: s.stageName, environment: s.environment.name, upstream });
    }
  });
  return { environments: watched.map((s) => s.environment), bakes, entryChecks };
}
