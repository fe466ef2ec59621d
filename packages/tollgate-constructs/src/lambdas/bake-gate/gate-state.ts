/**
 * What the gate remembers between invocations, decided purely: since when each read has been failing (so a
 * blip waits and only a persistent failure rejects), and the announcements it owes (so a rejection whose
 * announcement failed is announced later, once).
 */

/** An announcement on the release topic that has not been published yet. */
export interface Announcement {
  /** Unique per verdict, e.g. `exec-1/Dev/Bake/reject`: the same verdict is never announced twice. */
  readonly id: string;
  readonly subject: string;
  readonly message: string;
}

export interface GateState {
  /** Reads failing now, by source (`env:dev`, `controls`, ...), with when they started failing. */
  readonly failingSince: ReadonlyMap<string, Date>;
  /** Announcements owed. */
  readonly outbox: readonly Announcement[];
  /** Things already announced that the pipeline's state keeps showing (decisions by hand), by id. */
  readonly remembered: ReadonlySet<string>;
}

export const EMPTY_GATE_STATE: GateState = { failingSince: new Map(), outbox: [], remembered: new Set() };

/** Where the gate keeps its records (one partition of its state table), and the items `tollgate status` reads. */
export const HEALTH_KEYS = {
  partition: 'gate',
  lastCheck: 'health#last-check',
  lastError: 'health#last-error',
  /** `waiting#<executionId>/<stage>/<action>`: the latest reason an approval still waits (`summary`, `at`). */
  waitingPrefix: 'waiting#',
} as const;

/** What `tollgate status` shows of the gate itself. */
export interface GateHealth {
  /** The last check of every pending approval that completed. */
  readonly lastCheckAt?: string;
  /** The last invocation that failed, and why. */
  readonly lastError?: { readonly at: string; readonly message: string };
}

/** How the failure record changes after one round of reads. */
export interface FailureUpdate {
  /** Since when each failing source has been failing: its earlier start, or now for a new failure. */
  readonly failingSince: Map<string, Date>;
  /** Sources that started failing now: to be recorded. */
  readonly started: string[];
  /** Sources that read again: to be forgotten. */
  readonly recovered: string[];
}

/**
 * Carries the failure record forward: a source that failed before and fails again keeps its start; one that
 * fails for the first time starts now; one that read again is forgotten. Sources not read this round (no
 * approval needed them) keep their record.
 */
export function trackFailures(previous: ReadonlyMap<string, Date>, results: ReadonlyMap<string, boolean>, now: Date): FailureUpdate {
  const failingSince = new Map(previous);
  const started: string[] = [];
  const recovered: string[] = [];
  for (const [source, ok] of results) {
    if (ok) {
      if (failingSince.delete(source)) recovered.push(source);
    } else if (!failingSince.has(source)) {
      failingSince.set(source, now);
      started.push(source);
    }
  }
  return { failingSince, started, recovered };
}
