/**
 * The bake gate's decision: pure, with the clock passed in. The adapter gathers what the world looks like;
 * this file says, for every pending Bake approval, approve, reject or wait, and why, in words on-call reads
 * in the execution's action summary.
 */
import { isoSeconds } from '../shared/iso-time';
import type { Halt } from '../shared/pipeline-controls';
import type { CalendarVerdict } from '../shared/release-calendar';

export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export function isAlarmState(value: unknown): value is AlarmState {
  return ALARM_STATES.includes(value as AlarmState);
}

/** One entry of an alarm's state history. */
export interface StateChange {
  readonly at: Date;
  readonly from: AlarmState;
  readonly to: AlarmState;
  readonly reason: string;
}

/** An alarm as read: its state now and its state changes since the earliest bake start (any order). */
export interface AlarmReading {
  readonly name: string;
  readonly state: AlarmState;
  readonly reason: string;
  /** When the alarm entered its current state. */
  readonly since: Date;
  readonly changes: readonly StateChange[];
}

/** A read that either worked or failed; a failure is a reason the gate cannot decide. */
export type Read<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function readOk<T>(value: T): Read<T> {
  return { ok: true, value };
}

export function readFailed<T = never>(error: string): Read<T> {
  return { ok: false, error };
}

/** A Bake approval that is waiting for the gate. */
export interface PendingApproval {
  readonly pipelineExecutionId: string;
  readonly token: string;
  /** When the approval action started: the end of the dev deployment, and the start of the bake. */
  readonly bakeStartedAt: Date;
}

/**
 * The release calendar's answer for one execution: the calendar's own verdict, whose reasons, when it is open,
 * say what opened it (a break-glass override).
 */
export type ReleaseWindow = CalendarVerdict;

/** Whether something other than the calendar's hours opened it: an open window that still gives reasons. */
export function openedByOverride(window: ReleaseWindow): boolean {
  return window.open && window.reasons.length > 0;
}

/** What the gate asks the release calendar for one execution ready for prod. */
export interface ReleaseWindowQuery {
  readonly now: Date;
  readonly pipelineExecutionId: string;
  /** Every run-time control parameter under `/tollgate/<pipelineName>/` (freezes, overrides), by name. */
  readonly controls: ReadonlyMap<string, string>;
}

/**
 * The seam for the release calendar: the handler asks it for every pending approval. It answers `undefined`
 * when no calendar is configured, and throws when it cannot decide (which rejects, like any failed read).
 */
export type ReleaseWindowProvider = (query: ReleaseWindowQuery) => ReleaseWindow | undefined | Promise<ReleaseWindow | undefined>;

/** No calendar configured: every time is a release window. */
export const noReleaseCalendar: ReleaseWindowProvider = () => undefined;

/** A CloudWatch datapoint of the request metric; `at` is the start of its period. */
export interface Datapoint {
  readonly at: Date;
  readonly value: number;
}

export interface DecisionSettings {
  /** How long dev must stay healthy after its deployment. */
  readonly bakeMinutes: number;
  /**
   * How long after the bake the gate keeps waiting for evidence (the alarm OK now, enough requests) before
   * it rejects; holds (halt, calendar, prod unhealthy) do not count against it.
   */
  readonly evidenceGraceMinutes: number;
  /** The dev alarms whose ALARM at any moment of the bake rejects the build; the environment health first. */
  readonly devAlarmNames: readonly string[];
  /** The prod alarm whose ALARM holds the build out of prod. */
  readonly prodHealthAlarmName: string;
  /** Requests dev must have served during the bake, if any. */
  readonly minimumRequests?: number;
  /** Prod deployment plus prod bake: prod does not start when the release window closes sooner. */
  readonly lateStartMinutes: number;
}

export interface GateInputs {
  readonly now: Date;
  readonly approvals: readonly PendingApproval[];
  /** The watched dev alarms that exist; names absent here do not exist. */
  readonly devAlarms: Read<readonly AlarmReading[]>;
  /**
   * Prod's health alarm (`undefined` when it does not exist), or `'not-deployed'` when the pipeline has never
   * run its Prod stage: then there is no prod to protect, and no reader role there yet.
   */
  readonly prodHealth: Read<AlarmReading | undefined> | 'not-deployed';
  /** The request metric's datapoints since the earliest bake start; absent when no minimum is configured. */
  readonly requests?: Read<readonly Datapoint[]>;
  readonly halt: Read<Halt | undefined>;
  /** The calendar's answer per pipeline execution; absent (or `undefined`) when no calendar is configured. */
  readonly releaseWindows?: ReadonlyMap<string, Read<ReleaseWindow | undefined>>;
}

export type Verdict =
  | { readonly kind: 'approve'; readonly summary: string }
  | { readonly kind: 'reject'; readonly summary: string }
  | { readonly kind: 'wait'; readonly summary: string };

export interface Decision {
  readonly approval: PendingApproval;
  readonly verdict: Verdict;
}

/** CodePipeline's limit on an approval summary. */
export const MAX_SUMMARY_LENGTH = 512;

const MINUTE = 60_000;

/**
 * Decides every pending approval. Rejections win over waits, waits over approval: a build is promoted only
 * when the bake time has passed, no watched alarm was in ALARM at any moment since the bake started, the
 * watched alarms are OK now, dev served enough requests, prod is not in ALARM, nothing is halted and the
 * calendar lets prod start. Anything the gate could not read rejects, with what failed.
 */
export function decide(inputs: GateInputs, settings: DecisionSettings): Decision[] {
  return inputs.approvals.map((approval) => ({ approval, verdict: decideOne(approval, inputs, settings) }));
}

function decideOne(approval: PendingApproval, inputs: GateInputs, settings: DecisionSettings): Verdict {
  const { now } = inputs;
  const start = approval.bakeStartedAt;
  const bakeEnd = new Date(start.getTime() + settings.bakeMinutes * MINUTE);
  const rejections: string[] = [];
  const evidence: string[] = [];
  const holds: string[] = [];
  const notes: string[] = [];
  /** What opened a release calendar that would be closed (a break-glass override): first in the approval. */
  const calendarNotes: string[] = [];

  // Dev: ALARM at any moment since the bake started rejects; not OK now means no evidence yet.
  if (!inputs.devAlarms.ok) {
    rejections.push(`cannot read dev alarms: ${inputs.devAlarms.error}`);
  } else {
    const byName = new Map(inputs.devAlarms.value.map((a) => [a.name, a]));
    for (const name of settings.devAlarmNames) {
      const alarm = byName.get(name);
      if (!alarm) {
        rejections.push(`${name} does not exist in dev`);
        continue;
      }
      const fired = alarmDuring(alarm, start, now);
      if (fired) rejections.push(fired);
      else if (alarm.state !== 'OK') evidence.push(`${name} is ${alarm.state}, not OK (${alarm.reason})`);
      else notes.push(`${name} OK, no ALARM since ${clock(start, now)}`);
    }
  }

  if (settings.minimumRequests !== undefined) {
    if (!inputs.requests?.ok) {
      rejections.push(`cannot read the request count: ${inputs.requests?.error ?? 'not read'}`);
    } else {
      // Only periods that start inside the bake: evidence is counted conservatively.
      const served = inputs.requests.value.filter((d) => d.at >= start).reduce((sum, d) => sum + d.value, 0);
      const count = `${formatCount(served)} requests (minimum ${formatCount(settings.minimumRequests)})`;
      if (served < settings.minimumRequests) evidence.push(`only ${count} during the bake`);
      else notes.push(count);
    }
  }

  // Prod: a prod already in ALARM holds the build, it does not reject it: the build did nothing wrong yet.
  const prod = inputs.prodHealth;
  if (prod === 'not-deployed') {
    notes.push('prod never deployed');
  } else if (!prod.ok) {
    rejections.push(`cannot read prod health: ${prod.error}`);
  } else if (prod.value === undefined) {
    rejections.push(`${settings.prodHealthAlarmName} does not exist in prod`);
  } else if (prod.value.state === 'ALARM') {
    holds.push(`prod unhealthy: ${prod.value.name} in ALARM since ${clock(prod.value.since, now)} (${prod.value.reason})`);
  } else {
    notes.push(`${prod.value.name} ${prod.value.state}`);
  }

  if (!inputs.halt.ok) rejections.push(`cannot read the halt flag: ${inputs.halt.error}`);
  else if (inputs.halt.value?.halted) {
    const h = inputs.halt.value;
    holds.push(`halted by ${h.by} at ${h.at}: ${h.reason}`);
  }

  const window = inputs.releaseWindows?.get(approval.pipelineExecutionId);
  if (window && !window.ok) rejections.push(`cannot read the release calendar: ${window.error}`);
  else if (window?.value) {
    const w = window.value;
    if (!w.open) {
      holds.push(`release calendar closed: ${w.reasons.join(', ')}${w.nextOpen ? `; opens ${w.nextOpen}` : ''}`);
    } else {
      if (openedByOverride(w)) calendarNotes.push(`release calendar opened by ${w.reasons.join(', ')}`);
      if (w.closesAt !== undefined) {
        const closesAt = new Date(w.closesAt);
        const needed = settings.lateStartMinutes * MINUTE;
        if (Number.isNaN(closesAt.getTime())) {
          rejections.push(`the release calendar gave an unreadable closing time ${JSON.stringify(w.closesAt)}`);
        } else if (closesAt.getTime() - now.getTime() < needed) {
          holds.push(
            `too late to start prod: the window closes at ${clock(closesAt, now)} and prod deploy + bake take ${duration(needed)}`,
          );
        }
      }
    }
  }

  if (rejections.length > 0) return verdict('reject', 'rejected', rejections);

  const bakeLeft = bakeEnd.getTime() - now.getTime();
  if (bakeLeft > 0) return verdict('wait', 'waiting', [`${duration(bakeLeft)} of bake left`, ...evidence, ...holds]);

  if (evidence.length > 0) {
    const overdue = now.getTime() - bakeEnd.getTime();
    if (overdue >= settings.evidenceGraceMinutes * MINUTE) {
      return verdict('reject', 'rejected', [`no evidence of health ${duration(overdue)} after the bake`, ...evidence]);
    }
    return verdict('wait', 'waiting', [...evidence, ...holds]);
  }
  if (holds.length > 0) return verdict('wait', 'waiting', holds);
  return verdict('approve', 'approved', [`${duration(settings.bakeMinutes * MINUTE)} bake clean`, ...calendarNotes, ...notes]);
}

/** The first moment since `start` that the alarm was in ALARM, described; undefined if it never was. */
function alarmDuring(alarm: AlarmReading, start: Date, now: Date): string | undefined {
  const changes = alarm.changes
    .filter((c) => c.at >= start && (c.to === 'ALARM' || c.from === 'ALARM'))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const first = changes[0];
  if (first?.to === 'ALARM') return `${alarm.name} entered ALARM at ${clock(first.at, now)} (reason: ${first.reason})`;
  if (first) return `${alarm.name} was in ALARM when the bake started, until ${clock(first.at, now)}`;
  if (alarm.state === 'ALARM') {
    return alarm.since >= start
      ? `${alarm.name} entered ALARM at ${clock(alarm.since, now)} (reason: ${alarm.reason})`
      : `${alarm.name} in ALARM since ${clock(alarm.since, now)}, before the bake started (reason: ${alarm.reason})`;
  }
  return undefined;
}

/** A state change of a watched alarm, as its "CloudWatch Alarm State Change" event reports it. */
export interface AlarmEvent {
  /** The account the alarm lives in. */
  readonly account: string;
  readonly alarmName: string;
  readonly state: AlarmState;
  readonly reason: string;
  readonly at: Date;
}

/** The dev alarms the bake watches, and the account they live in. */
export type WatchedDevAlarms = Pick<DecisionSettings, 'devAlarmNames'> & { readonly devAccount: string };

/**
 * The fast path: a watched dev alarm entered ALARM, so every approval whose bake started before that moment
 * is rejected now, without reading anything else. Returns no decision for an event that rejects nothing (a
 * prod alarm, a recovery, an event older than the bake); the periodic reconcile covers those.
 */
export function rejectionsForAlarmEvent(
  event: AlarmEvent,
  approvals: readonly PendingApproval[],
  settings: WatchedDevAlarms,
  now: Date,
): Decision[] {
  if (!isDevAlarm(event, settings) || event.state !== 'ALARM') return [];
  return approvals
    .filter((a) => event.at >= a.bakeStartedAt)
    .map((approval) => ({
      approval,
      verdict: verdict('reject', 'rejected', [`${event.alarmName} entered ALARM at ${clock(event.at, now)} (reason: ${event.reason})`]),
    }));
}

/** Whether the event is about one of the dev alarms the bake watches. */
export function isDevAlarm(event: AlarmEvent, settings: WatchedDevAlarms): boolean {
  return event.account === settings.devAccount && settings.devAlarmNames.includes(event.alarmName);
}

function verdict(kind: Verdict['kind'], prefix: string, reasons: readonly string[]): Verdict {
  return { kind, summary: truncate(`${prefix}: ${reasons.join('; ')}`) };
}

function truncate(text: string): string {
  return text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 1)}…`;
}

/** `10:42:07Z` on the day of `now` (UTC), the full instant otherwise, so a 12-hour bake stays unambiguous. */
export function clock(at: Date, now: Date): string {
  const iso = isoSeconds(at);
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? iso.slice(11) : iso;
}

/** `23 min`, `11 h 5 min`, rounded up to the minute so "1 min left" lasts until the very end. */
export function duration(ms: number): string {
  const minutes = Math.ceil(ms / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
