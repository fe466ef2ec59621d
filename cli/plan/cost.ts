/**
 * What a release along the earliest path costs, estimated from the plan: the timeline's minutes of build and
 * deployment (billed CodePipeline action minutes), the build as CodeBuild minutes at its project's compute type,
 * each other CodeBuild step (replacement guards, integration tests) for its estimated minutes, the minutes in
 * the gate's approvals (its checks) and bakes (the synthetic checks), and the deployed stacks' file assets.
 */
import { CODEBUILD_COMPUTE_TYPES, CodeBuildCompute, PriceTable, ReleaseCost, ReleaseUsage, releaseCost } from '@tollgate/constructs/lib/domain/release-cost';
import type { SynthesizedStack } from './assembly';
import type { PromotionPlan } from './promotion';
import type { StepKind, Timeline } from './timeline';

export interface PlanCost {
  /** Where the prices come from. */
  readonly prices: string;
  readonly usage: ReleaseUsage;
  readonly cost: ReleaseCost;
  /** What the estimate leaves out, one line each. */
  readonly notCounted: readonly string[];
}

const minutesOf = (timeline: Timeline, kinds: readonly StepKind[]) => timeline.steps.filter((s) => kinds.includes(s.kind)).reduce((sum, s) => sum + s.minutes, 0);
const isPriced = (compute: string): compute is CodeBuildCompute => (CODEBUILD_COMPUTE_TYPES as readonly string[]).includes(compute);

/** A release's cost along `timeline`, priced at `prices`. */
export function planCost(plan: PromotionPlan, timeline: Timeline, stacks: readonly SynthesizedStack[], prices: PriceTable): PlanCost {
  const firstRelease = plan.stages.findIndex((s) => s.deploys.length > 0 || s.approvals.length > 0);
  const building = plan.stages.slice(0, firstRelease < 0 ? plan.stages.length : firstRelease);
  const releasing = firstRelease < 0 ? [] : plan.stages.slice(firstRelease);
  const buildMinutes: Partial<Record<CodeBuildCompute, number>> = {};
  const unpriced = new Set<string>();
  const addBuild = (compute: string | undefined, minutes: number) => {
    if (compute === undefined) return;
    if (isPriced(compute)) buildMinutes[compute] = (buildMinutes[compute] ?? 0) + minutes;
    else unpriced.add(compute);
  };
  // The build estimate covers the stages before the first release stage: priced at the first build's compute type.
  addBuild(building.flatMap((s) => s.actions).find((a) => a.buildCompute)?.buildCompute, minutesOf(timeline, ['build']));
  // The release stages' CodeBuild steps (replacement guards, integration tests) for their estimated minutes, at
  // the compute type of the first of them (CDK Pipelines gives them all its codeBuildDefaults).
  const steps = minutesOf(timeline, ['guard', 'tests']);
  if (steps > 0) addBuild(releasing.flatMap((s) => s.actions).find((a) => a.buildCompute)?.buildCompute, steps);
  const pipelineRegion = stacks.find((s) => s.stackName === plan.pipelineStack)?.region;
  const deployed = releasing.flatMap((s) => s.deploys).map((d) => stacks.find((s) => s.stackName === d.stackName));
  // Unknown when any is: a stack not in the assembly, or an asset not staged in it.
  const bytes = (of: (SynthesizedStack | undefined)[]) => of.reduce<number | undefined>((sum, s) => (sum === undefined || s?.fileAssetBytes === undefined ? undefined : sum + s.fileAssetBytes), 0);
  const usage: ReleaseUsage = {
    actionMinutes: minutesOf(timeline, ['build', 'guard', 'deploy', 'tests', 'traffic']),
    buildMinutes,
    gateMinutes: minutesOf(timeline, ['bake', 'alarm latency', 'calendar']),
    bakeMinutes: minutesOf(timeline, ['bake', 'alarm latency']),
    assetBytes: bytes(deployed),
    crossRegionAssetBytes: bytes(deployed.filter((s) => s?.region !== pipelineRegion)),
  };
  const notCounted = [
    ...[...unpriced].map((compute) => `CodeBuild on ${compute}: no price for it`),
    ...(usage.assetBytes === undefined ? ['S3 assets: not staged in the cloud assembly (synthesized without bundling?)'] : []),
  ];
  return { prices: prices.source, usage, cost: releaseCost(usage, prices.prices), notCounted };
}
