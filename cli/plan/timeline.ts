import type { PlanBake } from './bakes';
import { CalendarOpening } from './calendar';
import { PlanStage, PromotionPlan } from './promotion';

/** What no template says: how long the build and one CloudFormation deployment take. Estimates, overridable. */
export interface DurationEstimates {
  /** Source, build (npm ci, tests, synth), the pipeline's self-update and asset publishing. */
  readonly buildMinutes: number;
  /** One stage's CloudFormation deployment, before any traffic shifting. */
  readonly deployMinutes: number;
}

export const DEFAULT_ESTIMATES: DurationEstimates = { buildMinutes: 20, deployMinutes: 5 };

export interface TimelineStep {
  readonly stage: string;
  readonly what: string;
  readonly minutes: number;
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
}

export interface TimelineOptions {
  readonly now: Date;
  /** The bake gate's approvals; other approvals are counted as answered at once. */
  readonly bakes: readonly Pick<PlanBake, 'stage' | 'action' | 'environment' | 'minutes' | 'alarmLatencyMinutes'>[];
  readonly estimates: DurationEstimates;
  /** The stage the calendar guards. */
  readonly prodStage: string;
  /** The release calendar as the gate applies it before prod: its next opening at or after `at`, `undefined` for none. */
  readonly nextOpening?: (at: Date) => CalendarOpening | undefined;
}

function deployMinutes(stage: PlanStage, estimates: DurationEstimates): { minutes: number; what: string } {
  const shift = Math.max(0, ...stage.deploys.flatMap((d) => d.trafficShifts.map((t) => t.totalMinutes)));
  const what = `deploy ${stage.deploys.map((d) => d.stackName).join(', ')} (~${estimates.deployMinutes} min${shift > 0 ? ` + ${shift} min traffic shifting` : ''})`;
  return { minutes: estimates.deployMinutes + shift, what };
}

/**
 * The earliest a commit pushed at `now` gets through: the build, each stage's deployment and traffic
 * shifting, each bake and the alarm latency after it (the gate approves no sooner), and the wait for the
 * calendar before prod.
 */
export function earliestTimeline(plan: PromotionPlan, options: TimelineOptions): Timeline {
  const steps: TimelineStep[] = [];
  let t = options.now;
  const stepUntil = (stage: string, what: string, end: Date) => {
    steps.push({ stage, what, minutes: Math.round((end.getTime() - t.getTime()) / 60_000), startsAt: t.toISOString(), endsAt: end.toISOString() });
    t = end;
  };
  const step = (stage: string, what: string, minutes: number) => stepUntil(stage, what, new Date(t.getTime() + minutes * 60_000));
  const firstRelease = plan.stages.findIndex((s) => s.deploys.length > 0 || s.approvals.length > 0);
  const building = firstRelease < 0 ? plan.stages : plan.stages.slice(0, firstRelease);
  const buildStages = building.length > 1 ? `${building[0].name}..${building[building.length - 1].name}` : (building[0]?.name ?? '');
  step(buildStages, 'build, test, synth, self-update, publish assets (estimate)', options.estimates.buildMinutes);

  let reachesProdAt: string | undefined;
  for (const stage of firstRelease < 0 ? [] : plan.stages.slice(firstRelease)) {
    const deploy = stage.deploys.length > 0 ? deployMinutes(stage, options.estimates) : undefined;
    if (stage.name === options.prodStage && options.nextOpening) {
      const opening = options.nextOpening(t);
      if (!opening) return { pushedAt: options.now.toISOString(), steps, neverBecause: `the release calendar does not open within a year of ${t.toISOString()}` };
      if (opening.at.getTime() > t.getTime()) stepUntil(stage.name, `wait for the release calendar (${opening.reasons.join('; ') || 'closed'})`, opening.at);
    }
    if (stage.name === options.prodStage) reachesProdAt = t.toISOString();
    // Within a stage, actions run by run order: a bake approval follows the stage's deployments.
    const parts: { order: number; what: string; minutes: number }[] = [];
    if (deploy) parts.push({ order: Math.min(...stage.actions.filter((a) => a.stackName).map((a) => a.runOrder)), ...deploy });
    for (const action of stage.actions.filter((a) => a.category === 'Approval')) {
      const bake = options.bakes.find((b) => b.stage === stage.name && b.action === action.name);
      if (!bake) continue;
      parts.push({ order: action.runOrder, what: `${bake.environment} bake: ${bake.minutes} min held in approval ${bake.action}`, minutes: bake.minutes });
      if (bake.alarmLatencyMinutes > 0) {
        parts.push({ order: action.runOrder, what: `alarm latency: ${bake.alarmLatencyMinutes} min for the alarms to judge the bake's last minutes`, minutes: bake.alarmLatencyMinutes });
      }
    }
    // A stable sort: the alarm latency stays after its bake.
    for (const part of parts.sort((a, b) => a.order - b.order)) step(stage.name, part.what, part.minutes);
  }
  return { pushedAt: options.now.toISOString(), steps, reachesProdAt, releasedAt: t.toISOString() };
}
