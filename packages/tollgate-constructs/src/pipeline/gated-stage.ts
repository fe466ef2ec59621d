import * as pipelines from 'aws-cdk-lib/pipelines';
import { GateEnvironmentProps } from './bake-gate';
import { GateBakeProps, GateEntryCheckProps, GateUpstreamProps } from './gate-approvals';

/** A timed, alarm-watched bake at the end of a gated stage: its approval is the stage's last action. */
export type StageBake = Omit<GateBakeProps, 'stageName' | 'environments' | 'promotion' | 'upstream'>;

/** A check at a gated stage's door, before its first deployment: the previous bake's stage is still clean. */
export type StageEntryCheck = Omit<GateEntryCheckProps, 'stageName' | 'environments' | 'upstream'>;

/** What the bake gate holds a gated stage or wave by, whatever it deploys to. */
export interface GatedDeploymentOptions {
  /**
   * A bake after the deployments. When a later gated stage follows, the bake promotes to it (the gate holds a
   * baked build while that stage is unhealthy or the calendar is closed); an earlier bake is its upstream.
   *
   * @default - no bake
   */
  readonly bake?: StageBake;
  /**
   * A check before the deployments that the last bake before it is still clean, however a build got here.
   * Its `lateStartMargin` is also the margin the bake before it promotes with.
   *
   * @default - no entry check
   */
  readonly entryCheck?: StageEntryCheck;
  /**
   * A failed stage (its bake rejected included) redeploys the last successful release (V2 `onFailure: ROLLBACK`);
   * for a wave, every target of the wave's stage.
   *
   * @default false
   */
  readonly rollBackOnFailure?: boolean;
  /**
   * CDK Pipelines steps before the deployments (e.g. approvals, checks), before any entry check.
   *
   * @default - none
   */
  readonly pre?: pipelines.Step[];
  /**
   * CDK Pipelines steps after the deployments (e.g. tests), before any bake.
   *
   * @default - none
   */
  readonly post?: pipelines.Step[];
}

/** How {@link ReleasePipeline.addGatedStage} adds a stage: what the bake gate watches there and holds it by. */
export interface GatedStageOptions extends GatedDeploymentOptions {
  /**
   * The stage's environment as the bake gate watches it: account, region, alarms and the evidence of traffic.
   *
   * @default - the gate does not watch the stage; it has no bake and no entry check
   */
  readonly environment?: GateEnvironmentProps;
}

/**
 * How {@link ReleasePipeline.addGatedWave} adds a wave: stages deployed in parallel in one pipeline stage, each a
 * target the bake gate watches; one bake after all of them, one entry check before them.
 */
export interface GatedWaveOptions extends GatedDeploymentOptions {
  /** Each stage's environment as the bake gate watches it, one per stage, in the same order. */
  readonly environments: GateEnvironmentProps[];
}

/** A stage or wave added with its options, under its pipeline stage name, with the environments it deploys. */
export interface GatedStage extends GatedDeploymentOptions {
  readonly stageName: string;
  /** The environments the gate watches there: none (ungated), one (a stage), or a wave's targets. */
  readonly environments: readonly GateEnvironmentProps[];
}

/**
 * What the bake gate owns for these stages and waves, in promotion order: its environments, bakes and entry
 * checks. A bake's upstream is the last baked stage before it, its promotion the next watched stage.
 */
export function gateOwnedActions(stages: readonly GatedStage[]): {
  environments: GateEnvironmentProps[];
  bakes: GateBakeProps[];
  entryChecks: GateEntryCheckProps[];
} {
  for (const s of stages) {
    if ((s.bake || s.entryCheck) && s.environments.length === 0) throw new Error(`ReleasePipeline: stage ${s.stageName} has a bake or entry check but no environment`);
  }
  const watched = stages.filter((s) => s.environments.length > 0);
  const names = (s: GatedStage) => s.environments.map((e) => e.name);
  const bakes: GateBakeProps[] = [];
  const entryChecks: GateEntryCheckProps[] = [];
  watched.forEach((s, i) => {
    const baked = watched.slice(0, i).filter((p) => p.bake);
    const last = baked[baked.length - 1];
    const upstream: GateUpstreamProps | undefined = last && { stageName: last.stageName, actionName: last.bake?.actionName, environments: names(last) };
    const next = watched[i + 1];
    if (s.bake) {
      bakes.push({
        ...s.bake,
        stageName: s.stageName,
        environments: names(s),
        promotion: next && { stageName: next.stageName, environments: names(next), lateStartMargin: next.entryCheck?.lateStartMargin },
        upstream,
      });
    }
    if (s.entryCheck) {
      if (!upstream) throw new Error(`ReleasePipeline: stage ${s.stageName} has an entry check but no baked stage before it`);
      entryChecks.push({ ...s.entryCheck, stageName: s.stageName, environments: names(s), upstream });
    }
  });
  const environments = watched.flatMap((s) => s.environments);
  const seen = new Set<string>();
  for (const e of environments) {
    if (seen.has(e.name)) throw new Error(`ReleasePipeline: environment ${e.name} is watched in two places; give each target its own name`);
    seen.add(e.name);
  }
  return { environments, bakes, entryChecks };
}
