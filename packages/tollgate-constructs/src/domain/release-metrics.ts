/**
 * The release metrics of a period: DORA's four keys and rework rate, the gate's halt latency, the builds each gate
 * stopped, and what releases cost, folded from one execution at a time ({@link ReleaseMetricsFold}) so a history
 * of any length is read in bounded memory. The fold keeps counts and, for the distributions and the order of
 * events in prod, numbers, never the executions. Definitions: docs/metrics.md.
 */
import { CostItem, PriceTable, ReleaseUsage, addUsage, NO_USAGE, releaseCost } from './release-cost';
import type { ExecutionFacts } from './release-facts';
import { GATE_KINDS, GateKind, RELEASE_OUTCOMES, ReleaseOutcome } from './release-record';
import { isoSeconds } from './iso-time';

export interface MetricsOptions {
  /** The period starts here: executions that started before are not counted. */
  readonly since: Date;
  readonly now: Date;
  /** A fix released within this many minutes of the change before it is a fix-forward (and rework). */
  readonly fixWindowMinutes: number;
  readonly prices: PriceTable;
}

/** Durations by nearest rank, in seconds. */
export interface DurationSummary {
  readonly count: number;
  readonly medianSeconds: number;
  readonly p90Seconds: number;
  readonly maxSeconds: number;
}

/** A metric the data read cannot give, and why. */
export interface Missing {
  readonly missing: string;
}

export interface ReleaseMetrics {
  readonly period: { readonly since: string; readonly until: string; readonly days: number; readonly fixWindowMinutes: number };
  readonly executions: {
    /** Executions that started in the period, rollback executions included. */
    readonly read: number;
    /** Of those, how many had a readable release record. */
    readonly recorded: number;
    readonly unreadableRecords: number;
    readonly rollbackExecutions: number;
    /** Standard executions by where they ended up (`rolled-back` as the records say or the rollbacks show). */
    readonly outcomes: Readonly<Record<ReleaseOutcome, number>>;
  };
  readonly latestRelease?: { readonly executionId: string; readonly version?: string; readonly releasedAt: string };
  /** Releases: executions whose promotion stage succeeded (its last bake passed). */
  readonly deploymentFrequency: { readonly releases: number; readonly perWeek: number; readonly daysWithRelease: number };
  /** Commit → released, for releases whose commit time is known. */
  readonly leadTime: (DurationSummary & { readonly ofReleases: number }) | Missing;
  /** Execution start (the push) → released. */
  readonly pipelineTime: DurationSummary | Missing;
  /** Failed deployments to prod (failed there, rolled back, or fixed forward) among all deployments to prod. */
  readonly changeFailureRate:
    | {
        readonly deployments: number;
        readonly failed: number;
        readonly percent: number;
        readonly failedInProd: number;
        readonly rolledBack: number;
        readonly fixedForward: number;
      }
    | Missing;
  /** From a failure in prod to prod restored (rollback done, or the next release). */
  readonly timeToRestore: (DurationSummary & { readonly stillFailing: number }) | Missing;
  /** Releases that were fixes, within the fix window of the change before them. */
  readonly reworkRate: { readonly releases: number; readonly rework: number; readonly percent: number } | Missing;
  /** Alarm → the gate's rejection. */
  readonly haltLatency: DurationSummary | Missing;
  /** Builds each gate stopped, and builds that failed elsewhere by `<stage>/<action>`. */
  readonly stoppedBy: { readonly gates: Readonly<Record<GateKind, number>>; readonly other: Readonly<Record<string, number>> };
  readonly cost: {
    /** Where the prices come from. */
    readonly prices: string;
    /** A release's own execution. */
    readonly perRelease: { readonly count: number; readonly medianDollars: number; readonly p90Dollars: number; readonly meanItems: Readonly<Partial<Record<CostItem, number>>> } | Missing;
    /** Every execution of the period, the ones that never released and the rollbacks included. */
    readonly spend: { readonly executions: number; readonly dollars: number; readonly perReleaseDollars?: number };
    readonly notCounted: readonly string[];
  };
  /** What the data read lacks, one line each. */
  readonly gaps: readonly string[];
}

/** The value at rank ⌈p·n⌉ of `sorted` (ascending, non-empty). */
function nearestRank(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

function summary(ms: number[]): DurationSummary {
  const sorted = ms.sort((a, b) => a - b);
  const seconds = (v: number) => Math.round(v / 1000);
  return { count: sorted.length, medianSeconds: seconds(nearestRank(sorted, 0.5)), p90Seconds: seconds(nearestRank(sorted, 0.9)), maxSeconds: seconds(sorted[sorted.length - 1]) };
}

const percent = (part: number, whole: number) => Math.round((part / whole) * 1000) / 10;

/** What happened in prod, in the order it happened: the input of the change failure, restore and rework metrics. */
enum ProdEvent {
  Release,
  Failure,
  Rollback,
}

/**
 * The events in prod as parallel arrays of numbers, in the order executions arrive; sorted by time when the
 * metrics are computed (an execution that started earlier can reach prod later).
 */
class ProdEvents {
  readonly at: number[] = [];
  readonly kind: ProdEvent[] = [];
  /** A rollback's end; NaN otherwise. */
  readonly endedAt: number[] = [];
  /** A release that is a fix; a rollback that restored the stage. */
  readonly flag: boolean[] = [];

  add(at: number, kind: ProdEvent, flag = false, endedAt = Number.NaN): void {
    this.at.push(at);
    this.kind.push(kind);
    this.flag.push(flag);
    this.endedAt.push(endedAt);
  }

  /** Indexes in time order; a failure before the rollback that restores it at the same instant. */
  ordered(): number[] {
    return this.at.map((_, i) => i).sort((a, b) => this.at[a] - this.at[b] || this.kind[a] - this.kind[b]);
  }
}

/** The change failure, restore and rework counts from the events in prod. */
interface Consequences {
  deployments: number;
  failedInProd: number;
  rolledBack: number;
  fixedForward: number;
  rework: number;
  restores: number[];
  stillFailing: number;
}

/**
 * Walks the events in prod in time order. A failure in prod is a failed change, restored by the next successful
 * rollback or release. A rollback while prod runs a release that has not failed rolls that release back: a failed
 * change, restored when the rollback succeeds (from its start: when the problem began is in no record). A release
 * that is a fix within the fix window of the event before it is rework; when that event is a release that had not
 * failed, that release failed and this one fixed it forward.
 */
function consequences(events: ProdEvents, fixWindowMs: number): Consequences {
  const c: Consequences = { deployments: 0, failedInProd: 0, rolledBack: 0, fixedForward: 0, rework: 0, restores: [], stillFailing: 0 };
  let live: { at: number; failed: boolean } | undefined;
  let failingSince: number | undefined;
  let previousAt: number | undefined;
  for (const i of events.ordered()) {
    const at = events.at[i];
    switch (events.kind[i]) {
      case ProdEvent.Release: {
        c.deployments++;
        const rework = events.flag[i] && previousAt !== undefined && at - previousAt <= fixWindowMs;
        if (rework) c.rework++;
        if (failingSince !== undefined) {
          c.restores.push(at - failingSince);
          failingSince = undefined;
        } else if (rework && live && !live.failed) {
          live.failed = true;
          c.fixedForward++;
          c.restores.push(at - live.at);
        }
        live = { at, failed: false };
        break;
      }
      case ProdEvent.Failure:
        c.deployments++;
        c.failedInProd++;
        failingSince ??= at;
        break;
      case ProdEvent.Rollback: {
        const restored = events.flag[i];
        if (failingSince === undefined && live && !live.failed) {
          live.failed = true;
          c.rolledBack++;
          failingSince = at;
        }
        if (failingSince !== undefined && restored) {
          c.restores.push(events.endedAt[i] - failingSince);
          failingSince = undefined;
        }
        // Prod runs an older release now; a later rollback is not this release's.
        live = undefined;
        break;
      }
    }
    previousAt = at;
  }
  if (failingSince !== undefined) c.stillFailing = 1;
  return c;
}

/**
 * Folds executions into the metrics of a period. Feed it every execution that started in the period (in any
 * order; earlier ones are ignored), then ask for {@link result}.
 */
export class ReleaseMetricsFold {
  private read = 0;
  private recorded = 0;
  private unreadable = 0;
  private firstUnreadable?: string;
  private rollbacks = 0;
  private readonly outcomes = Object.fromEntries(RELEASE_OUTCOMES.map((o) => [o, 0])) as Record<ReleaseOutcome, number>;
  private readonly releaseDays = new Set<string>();
  private readonly leadTimes: number[] = [];
  private readonly pipelineTimes: number[] = [];
  private readonly haltLatencies: number[] = [];
  private readonly gateStops = Object.fromEntries(GATE_KINDS.map((k) => [k, 0])) as Record<GateKind, number>;
  private readonly otherStops: Record<string, number> = {};
  private readonly events = new ProdEvents();
  private readonly releaseCosts: number[] = [];
  private releaseUsage: ReleaseUsage = NO_USAGE;
  private spend = 0;
  private latest?: { executionId: string; version?: string; releasedAt: number };
  private readonly since: number;

  constructor(private readonly options: MetricsOptions) {
    this.since = options.since.getTime();
  }

  add(facts: ExecutionFacts): void {
    if (facts.startedAt < this.since) return;
    this.read++;
    if (facts.recorded) this.recorded++;
    if (facts.recordProblem !== undefined) {
      this.unreadable++;
      this.firstUnreadable ??= `${facts.executionId}: ${facts.recordProblem}`;
    }
    const { prices } = this.options.prices;
    const cost = releaseCost(facts.usage, prices);
    this.spend += cost.dollars;
    this.haltLatencies.push(...facts.haltLatencies);
    if (facts.rollback) {
      this.rollbacks++;
      this.events.add(facts.startedAt, ProdEvent.Rollback, facts.rollback.succeeded, facts.rollback.endedAt);
      return;
    }
    // A release the record already calls rolled back is counted so by the rollback that follows it.
    this.outcomes[facts.releasedAt !== undefined ? 'released' : facts.outcome]++;
    if (facts.stoppedBy !== undefined) {
      if ((GATE_KINDS as readonly string[]).includes(facts.stoppedBy)) this.gateStops[facts.stoppedBy as GateKind]++;
      else this.otherStops[facts.stoppedBy] = (this.otherStops[facts.stoppedBy] ?? 0) + 1;
    }
    if (facts.prodFailedAt !== undefined) this.events.add(facts.prodFailedAt, ProdEvent.Failure);
    const released = facts.releasedAt;
    if (released === undefined) return;
    this.events.add(released, ProdEvent.Release, facts.fix);
    this.releaseDays.add(isoSeconds(new Date(released)).slice(0, 10));
    this.pipelineTimes.push(released - facts.startedAt);
    if (facts.commitTime !== undefined) this.leadTimes.push(released - facts.commitTime);
    this.releaseCosts.push(cost.dollars);
    this.releaseUsage = addUsage(this.releaseUsage, facts.usage);
    if (!this.latest || released > this.latest.releasedAt) this.latest = { executionId: facts.executionId, version: facts.version, releasedAt: released };
  }

  result(): ReleaseMetrics {
    const { since, now, fixWindowMinutes, prices } = this.options;
    const releases = this.pipelineTimes.length;
    const days = (now.getTime() - since.getTime()) / 86_400_000;
    const c = consequences(this.events, fixWindowMinutes * 60_000);
    const noRecord = this.recorded === 0 ? ' (no release record was read)' : '';
    const gaps: string[] = [];
    if (this.recorded < this.read) {
      gaps.push(`${this.read - this.recorded} of ${this.read} executions from CodePipeline's history alone: no commit time, gate verdicts or alarm times for them`);
    }
    if (this.firstUnreadable) gaps.push(`${this.unreadable} release records unreadable, read from the history instead (first: ${this.firstUnreadable})`);
    if (this.leadTimes.length > 0 && this.leadTimes.length < releases) {
      gaps.push(`lead time from ${this.leadTimes.length} of ${releases} releases: the others have no commit time on record`);
    }
    const failed = c.failedInProd + c.rolledBack + c.fixedForward;
    const costs = [...this.releaseCosts].sort((a, b) => a - b);
    const usageCost = releaseCost(this.releaseUsage, prices.prices);
    const metrics: ReleaseMetrics = {
      period: { since: isoSeconds(since), until: isoSeconds(now), days: Math.round(days * 10) / 10, fixWindowMinutes },
      executions: { read: this.read, recorded: this.recorded, unreadableRecords: this.unreadable, rollbackExecutions: this.rollbacks, outcomes: { ...this.outcomes, released: this.outcomes.released - c.rolledBack, 'rolled-back': this.outcomes['rolled-back'] + c.rolledBack } },
      latestRelease: this.latest && { executionId: this.latest.executionId, version: this.latest.version, releasedAt: isoSeconds(new Date(this.latest.releasedAt)) },
      deploymentFrequency: { releases, perWeek: Math.round((releases / days) * 7 * 10) / 10, daysWithRelease: this.releaseDays.size },
      leadTime:
        this.leadTimes.length > 0
          ? { ...summary(this.leadTimes), ofReleases: releases }
          : { missing: releases === 0 ? 'no release in the period' : `no release has a commit time: CodePipeline's history does not have it, only the release record${noRecord}` },
      pipelineTime: releases > 0 ? summary(this.pipelineTimes) : { missing: 'no release in the period' },
      changeFailureRate:
        c.deployments > 0
          ? { deployments: c.deployments, failed, percent: percent(failed, c.deployments), failedInProd: c.failedInProd, rolledBack: c.rolledBack, fixedForward: c.fixedForward }
          : { missing: 'no deployment to prod in the period' },
      timeToRestore: c.restores.length > 0 ? { ...summary(c.restores), stillFailing: c.stillFailing } : { missing: failed === 0 ? 'no failed deployment in the period' : 'no failed deployment restored yet' },
      reworkRate: releases > 0 ? { releases, rework: c.rework, percent: percent(c.rework, releases) } : { missing: 'no release in the period' },
      haltLatency:
        this.haltLatencies.length > 0
          ? summary(this.haltLatencies)
          : { missing: `no rejection with an alarm time on record: only the release record has alarm times${noRecord}` },
      stoppedBy: { gates: { ...this.gateStops }, other: { ...this.otherStops } },
      cost: {
        prices: prices.source,
        perRelease:
          releases > 0
            ? {
                count: releases,
                medianDollars: nearestRank(costs, 0.5),
                p90Dollars: nearestRank(costs, 0.9),
                meanItems: Object.fromEntries(Object.entries(usageCost.items).map(([item, dollars]) => [item, dollars / releases])),
              }
            : { missing: 'no release in the period' },
        spend: { executions: this.read, dollars: this.spend, perReleaseDollars: releases > 0 ? this.spend / releases : undefined },
        notCounted: ['S3 assets: their sizes are in neither the history nor the release record', 'ECR images, logs, KMS keys and CloudWatch reads'],
      },
      gaps,
    };
    return metrics;
  }
}
