import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { guardedStackOf } from '@tollgate/constructs/lib/domain/replacement-guard';
import type { PlanBake, PlanEntryCheck } from './bakes';
import { CalendarOpening } from './calendar';
import { PlanStage, PromotionPlan, describeEcsShift, describeShift } from './promotion';

/** What no template says: how long the build and one CloudFormation deployment take. Estimates, overridable. */
export interface DurationEstimates {
  /** Source, build (npm ci, tests, synth), the pipeline's self-update and asset publishing. */
  readonly buildMinutes: number;
  /** One stage's CloudFormation deployment, before any traffic shifting. */
  readonly deployMinutes: number;
  /**
   * One CodeBuild action of a release stage, e.g. the Sandbox stage's integration tests: provisioning, `npm ci`,
   * the jest run.
   */
  readonly testsMinutes: number;
  /**
   * One replacement guard step, between a stack's Prepare and Deploy: CodeBuild's provisioning and one
   * DescribeChangeSet (the guard's own decision takes under a millisecond, `npm run bench`).
   */
  readonly guardMinutes: number;
}

export const DEFAULT_ESTIMATES: DurationEstimates = { buildMinutes: 20, deployMinutes: 5, testsMinutes: 5, guardMinutes: 2 };

/**
 * What a step of the earliest path is; `build`, `deploy`, `guard` and `tests` take estimated minutes, `traffic` is the
 * slowest traffic shift of the stage's CodeDeploy deployment groups and ECS deployments (bake included), which run
 * side by side.
 */
export type StepKind = 'build' | 'deploy' | 'guard' | 'tests' | 'traffic' | 'bake' | 'alarm latency' | 'calendar' | 'entry check';

export interface TimelineStep {
  readonly kind: StepKind;
  readonly stage: string;
  /** The step in a few words, e.g. `Dev-Service` (deploy), `canary 10 % for 10 min, then all`, `dev bake in approval Bake`. */
  readonly what: string;
  readonly minutes: number;
  /** UTC, ISO-8601 to the second. */
  readonly startsAt: string;
  readonly endsAt: string;
}

export interface Timeline {
  readonly pushedAt: string;
  readonly steps: TimelineStep[];
  /** When the prod stage's deployment starts at the earliest: when the commit reaches prod; absent: never. */
  readonly reachesProdAt?: string;
  /** When the prod stage is done at the earliest (traffic shifted, prod bake approved); absent: never. */
  readonly releasedAt?: string;
  /** Why the commit would never reach prod. */
  readonly neverBecause?: string;
  /** When each prod stage (each wave) is entered at the earliest, in order; as far as the path gets. */
  readonly promotions: { readonly stage: string; readonly reachedAt: string }[];
}

export interface TimelineOptions {
  readonly now: Date;
  /** The bake gate's approvals; other approvals are counted as answered at once. */
  readonly bakes: readonly Pick<PlanBake, 'stage' | 'action' | 'environment' | 'minutes' | 'alarmLatencyMinutes'>[];
  /** The gate's checks at a stage's door: no time when all is clear, shown where they happen. */
  readonly entryChecks?: readonly PlanEntryCheck[];
  readonly estimates: DurationEstimates;
  /** The stages the calendar guards, in order: prod's, or each of its waves'. */
  readonly promotionStages: readonly string[];
  /** The release calendar as the gate applies it before prod: its next opening at or after `at`, `undefined` for none. */
  readonly nextOpening?: (at: Date) => CalendarOpening | undefined;
}

/** A step before it is placed in time: its run order within the stage orders it. */
type Part = Pick<TimelineStep, 'kind' | 'what' | 'minutes'> & { readonly order: number };

/**
 * The stage's deployment (an estimate) and then its slowest traffic shift, each a step: CloudFormation waits for
 * CodeDeploy's and ECS's deployments alike, and they run at the same time.
 */
function deployParts(stage: PlanStage, estimates: DurationEstimates): Part[] {
  // The Deploy action's run order (the last of the stack's actions): a guard between Prepare and Deploy comes first.
  const order = Math.max(...stage.actions.filter((a) => a.stackName).map((a) => a.runOrder));
  const shifts = stage.deploys.flatMap((d) => [
    ...d.trafficShifts.map((t) => ({ what: describeShift(t.shift), minutes: t.totalMinutes })),
    ...d.serviceRollouts.flatMap((s) => (s.shift ? [{ what: describeEcsShift(s.shift), minutes: s.totalMinutes }] : [])),
  ]);
  // The first of equally slow shifts, CodeDeploy's before ECS's.
  const slowest = shifts.reduce<(typeof shifts)[number] | undefined>((a, b) => (a && a.minutes >= b.minutes ? a : b), undefined);
  const deploy: Part = { order, kind: 'deploy', what: stage.deploys.map((d) => d.stackName).join(', '), minutes: estimates.deployMinutes };
  if (!slowest || slowest.minutes === 0) return [deploy];
  return [deploy, { order, kind: 'traffic', what: slowest.what, minutes: slowest.minutes }];
}

/**
 * The stage's CodeBuild actions, each an estimate: the replacement guards (between Prepare and Deploy) and the
 * stage's other steps, such as integration tests.
 */
function codeBuildParts(stage: PlanStage, estimates: DurationEstimates): Part[] {
  return stage.actions
    .filter((a) => a.provider === 'CodeBuild')
    .map((a) => {
      // The guard's `what` is the stack it guards.
      const guarded = guardedStackOf(a.name);
      if (guarded !== undefined) return { order: a.runOrder, kind: 'guard' as const, what: guarded, minutes: estimates.guardMinutes };
      return { order: a.runOrder, kind: 'tests' as const, what: a.name, minutes: estimates.testsMinutes };
    });
}

function bakeParts(stage: PlanStage, options: TimelineOptions): Part[] {
  return stage.actions
    .filter((a) => a.category === 'Approval')
    .flatMap((action) => {
      const bake = options.bakes.find((b) => b.stage === stage.name && b.action === action.name);
      if (!bake) return [];
      const parts: Part[] = [{ order: action.runOrder, kind: 'bake', what: `${bake.environment} bake in approval ${bake.action}`, minutes: bake.minutes }];
      if (bake.alarmLatencyMinutes > 0) {
        parts.push({ order: action.runOrder, kind: 'alarm latency', what: "for the alarms to judge the bake's last minutes", minutes: bake.alarmLatencyMinutes });
      }
      return parts;
    });
}

/** What an entry check re-checks before its stage deploys, in a few words. */
export function entryCheckWhat(check: PlanEntryCheck): string {
  return `${check.upstreamEnvironment} clean since its bake, ${check.environment} healthy, calendar open, nothing halted`;
}

/**
 * The earliest a commit pushed at `now` gets through: the build, each stage's entry check, deployment and
 * traffic shifting, each bake and the alarm latency after it (the gate approves no sooner), and the wait for
 * the calendar before prod. Instants are UTC to the second.
 */
export function earliestTimeline(plan: PromotionPlan, options: TimelineOptions): Timeline {
  const steps: TimelineStep[] = [];
  const pushedAt = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  let t = pushedAt;
  const stepUntil = (stage: string, kind: StepKind, what: string, end: Date) => {
    steps.push({ kind, stage, what, minutes: Math.round((end.getTime() - t.getTime()) / 60_000), startsAt: isoSeconds(t), endsAt: isoSeconds(end) });
    t = end;
  };
  const step = (stage: string, kind: StepKind, what: string, minutes: number) => stepUntil(stage, kind, what, new Date(t.getTime() + minutes * 60_000));
  const firstRelease = plan.stages.findIndex((s) => s.deploys.length > 0 || s.approvals.length > 0);
  const building = firstRelease < 0 ? plan.stages : plan.stages.slice(0, firstRelease);
  const buildStages = building.length > 1 ? `${building[0].name}..${building[building.length - 1].name}` : (building[0]?.name ?? '');
  step(buildStages, 'build', building.map((s) => s.name).join(' → '), options.estimates.buildMinutes);

  const promotions: Timeline['promotions'] = [];
  for (const stage of firstRelease < 0 ? [] : plan.stages.slice(firstRelease)) {
    const promoted = options.promotionStages.includes(stage.name);
    if (promoted && options.nextOpening) {
      const opening = options.nextOpening(t);
      if (!opening) return { pushedAt: isoSeconds(pushedAt), steps, promotions, neverBecause: `the release calendar does not open within a year of ${isoSeconds(t)}` };
      if (opening.at.getTime() > t.getTime()) stepUntil(stage.name, 'calendar', `wait for the release calendar: ${opening.reasons.join('; ') || 'closed'}`, opening.at);
    }
    if (promoted) promotions.push({ stage: stage.name, reachedAt: isoSeconds(t) });
    const entry = options.entryChecks?.find((c) => c.stage === stage.name);
    if (entry) step(stage.name, 'entry check', entryCheckWhat(entry), 0);
    // Within a stage, actions run by run order: a bake approval follows the stage's deployments; a stable sort
    // keeps the canary after its deployment and the alarm latency after its bake.
    const parts = [...(stage.deploys.length > 0 ? deployParts(stage, options.estimates) : []), ...codeBuildParts(stage, options.estimates), ...bakeParts(stage, options)];
    for (const part of parts.sort((a, b) => a.order - b.order)) step(stage.name, part.kind, part.what, part.minutes);
  }
  return { pushedAt: isoSeconds(pushedAt), steps, promotions, reachesProdAt: promotions[0]?.reachedAt, releasedAt: isoSeconds(t) };
}
