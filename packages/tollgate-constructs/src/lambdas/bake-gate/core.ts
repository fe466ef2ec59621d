/**
 * The bake gate's decision: pure, with the clock passed in. The adapter gathers what the world looks like;
 * this file says, for every pending bake approval the gate owns (the dev bake before prod, the prod bake
 * after it), approve, reject or wait, and why, in words on-call reads in the execution's action summary.
 */
import { duration } from '../../domain/duration';
import { isoSeconds } from '../../domain/iso-time';
import type { Halt } from '../../domain/pipeline-controls';
import type { CalendarVerdict } from '../../domain/release-calendar';

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

/** An alarm created, updated or deleted (a `ConfigurationUpdate` history item). */
export interface ConfigurationChange {
  readonly at: Date;
  readonly alarmName: string;
  /** CloudWatch's own summary, e.g. `Alarm "Dev-Service-Health" updated`. */
  readonly summary: string;
}

/** An alarm as read: its state now and its state changes since the earliest bake start (any order). */
export interface AlarmReading {
  readonly name: string;
  readonly state: AlarmState;
  readonly reason: string;
  /** When the alarm entered its current state. */
  readonly since: Date;
  readonly changes: readonly StateChange[];
  /** Whether the alarm's actions are enabled; disabling them during a bake is tampering. */
  readonly actionsEnabled: boolean;
}

/** A CloudWatch datapoint; `at` is the start of its one-minute (or five-minute) period. */
export interface Datapoint {
  readonly at: Date;
  readonly value: number;
}

/** What the gate saw of one environment (dev, prod) through its read-only role. */
export interface EnvironmentReading {
  /** The watched alarms that exist; names absent here do not exist. */
  readonly alarms: readonly AlarmReading[];
  /** Configuration changes of the watched alarms and of every child of a watched composite alarm. */
  readonly configurationChanges: readonly ConfigurationChange[];
  /** Datapoints of the synthetic checks' result metric (sample counts: one per check run). */
  readonly syntheticRuns?: readonly Datapoint[];
  /** Datapoints of the request metric (sums). */
  readonly requests?: readonly Datapoint[];
  /** The environment's service stack: when CloudFormation last updated it; `'missing'` when it does not exist. */
  readonly stack?: { readonly name: string; readonly lastUpdatedAt?: Date } | 'missing';
}

/**
 * A read that worked, or failed. A failure carries since when that read has been failing (across
 * invocations): a blip waits, a failure that persists rejects.
 */
export type Read<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly error: string;
      /** When this read first failed in the current run of failures. */
      readonly failingSince: Date;
      /**
       * The environment's read-only role could not be assumed at all: before the environment's first
       * deployment, the role (part of the environment's stack) does not exist yet.
       */
      readonly roleMissing?: boolean;
    };

export function readOk<T>(value: T): Read<T> {
  return { ok: true, value };
}

export function readFailed<T = never>(error: string, failingSince: Date, roleMissing = false): Read<T> {
  return roleMissing ? { ok: false, error, failingSince, roleMissing } : { ok: false, error, failingSince };
}

/** A bake approval that is waiting for the gate. */
export interface PendingApproval {
  readonly pipelineExecutionId: string;
  readonly token: string;
  /** The stage and manual-approval action: which of the gate's bakes this is. */
  readonly stageName: string;
  readonly actionName: string;
  /** When the approval action started: the end of the stage's deployment, and the start of the bake. */
  readonly bakeStartedAt: Date;
}

/** A span of time, e.g. while an earlier environment still ran this build. */
export interface TimeSpan {
  readonly start: Date;
  readonly end: Date;
}

/** One stage as GetPipelineState shows it. */
export interface StageView {
  /** The execution that last entered the stage. */
  readonly latestExecutionId?: string;
  /** When each action of the stage last changed status. */
  readonly actionChanges: readonly { readonly actionName: string; readonly at?: Date }[];
}

/** One action execution of a pipeline execution (ListActionExecutions). */
export interface ActionRun {
  readonly stageName: string;
  readonly actionName: string;
  readonly startedAt?: Date;
  readonly lastUpdatedAt?: Date;
}

/**
 * While an earlier stage still ran this build: from the start of its bake until a newer execution started to
 * deploy there (the earliest action change in that stage after this build's bake ended), or until now. Alarms
 * there before that moment are this build's; after it, the newer build's, which its own bake judges.
 *
 * @throws Error when the execution has no run of the earlier bake.
 */
export function upstreamSpan(
  runs: readonly ActionRun[],
  stage: StageView | undefined,
  upstream: { readonly stageName: string; readonly actionName: string },
  pipelineExecutionId: string,
  now: Date,
): TimeSpan {
  const bake = runs.find((r) => r.stageName === upstream.stageName && r.actionName === upstream.actionName);
  if (!bake?.startedAt) throw new Error(`execution ${pipelineExecutionId} has no ${upstream.stageName}/${upstream.actionName} run`);
  if (!stage || stage.latestExecutionId === pipelineExecutionId) return { start: bake.startedAt, end: now };
  const bakeEnded = (bake.lastUpdatedAt ?? bake.startedAt).getTime();
  const newer = stage.actionChanges.map((c) => c.at?.getTime()).filter((t): t is number => t !== undefined && t > bakeEnded);
  return { start: bake.startedAt, end: newer.length > 0 ? new Date(Math.min(...newer)) : now };
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
 * The seam for the release calendar: the handler asks it for every pending approval that promotes. It answers
 * `undefined` when no calendar is configured, and throws when it cannot decide (a failed read).
 */
export type ReleaseWindowProvider = (query: ReleaseWindowQuery) => ReleaseWindow | undefined | Promise<ReleaseWindow | undefined>;

/** No calendar configured: every time is a release window. */
export const noReleaseCalendar: ReleaseWindowProvider = () => undefined;

/** The evidence an environment must show that it served traffic during a bake. */
export interface EvidenceSettings {
  /**
   * Synthetic checks run every minute: the share of the build's minutes in the environment (from the bake's
   * start) that must carry a check result.
   */
  readonly syntheticChecks?: { readonly minimumCoveragePercent: number };
  /** Requests the environment must have served since the bake started. */
  readonly requests?: { readonly minimum: number };
}

/** An environment the gate watches; its alarms and evidence metrics are read through its read-only role. */
export interface EnvironmentSettings {
  /** How summaries name it: `dev`, `prod`. */
  readonly name: string;
  /** The alarms whose ALARM at any moment of a bake rejects it; the environment's health alarm first. */
  readonly alarmNames: readonly string[];
  readonly evidence: EvidenceSettings;
}

/** A manual approval of the pipeline, by its stage and action. */
export interface ApprovalId {
  readonly stageName: string;
  readonly actionName: string;
}

/** One bake the gate owns: a manual approval at the end of a stage. */
export interface BakeSettings extends ApprovalId {
  /**
   * The environments the stage deployed, whose health the bake watches: one, or every target of a wave. Each
   * must stay clean and show evidence on its own: one target that alarms, or stays silent, holds or rejects all.
   */
  readonly environments: readonly string[];
  /** How long the environments must stay healthy after their deployment. */
  readonly minutes: number;
  /**
   * How long after the bake the gate keeps waiting for evidence (alarms OK now, enough traffic) before it
   * rejects; holds (halt, calendar, the next environment unhealthy) do not count against it.
   */
  readonly evidenceGraceMinutes: number;
  /** Approve without evidence of traffic: an explicit opt-out, stated in every summary. */
  readonly allowNoTraffic: boolean;
  /**
   * The stage this bake promotes to: the build waits while the health alarm of any of its environments is in
   * ALARM, while the release calendar is closed, and when the window closes within `lateStartMinutes`.
   */
  readonly promotion?: PromotionSettings;
  /**
   * An earlier bake of the same build: while the earlier stage still runs this build (until a newer build
   * starts deploying there), an ALARM in any of its environments rejects this bake too.
   */
  readonly upstream?: UpstreamSettings;
}

/** The stage a gate-owned approval lets the build into, and its environments. */
export interface PromotionSettings {
  readonly stageName: string;
  readonly environments: readonly string[];
  readonly lateStartMinutes: number;
}

/** An earlier bake whose environments' alarms still count while its stage runs the build. */
export interface UpstreamSettings extends ApprovalId {
  readonly environments: readonly string[];
}

/**
 * A check at the start of a stage, before its deployment: the build enters only if the earlier environment
 * stayed clean since its bake started and the entered environment may receive it now (health, calendar,
 * halt). However the build got to the stage's door (a resume, a re-enabled transition, a retry), it is
 * checked again right before it deploys.
 */
export interface EntryCheckSettings {
  readonly stageName: string;
  readonly actionName: string;
  readonly upstream: UpstreamSettings;
  readonly promotion: PromotionSettings;
}

export interface DecisionSettings {
  readonly environments: readonly EnvironmentSettings[];
  readonly bakes: readonly BakeSettings[];
  readonly entryChecks: readonly EntryCheckSettings[];
  /**
   * How long after a minute of the bake the alarms may still fire for it (two one-minute datapoints plus
   * CloudWatch's evaluation delay): the gate approves only once the alarms could have seen the bake's end.
   */
  readonly alarmLatencyMinutes: number;
  /** How long a read may keep failing before the gate rejects instead of retrying. */
  readonly readFailureToleranceMinutes: number;
}

export interface GateInputs {
  readonly now: Date;
  readonly approvals: readonly PendingApproval[];
  /** Each watched environment, by name, as read this time. */
  readonly environments: ReadonlyMap<string, Read<EnvironmentReading>>;
  /** Stages that have run in the pipeline (GetPipelineState): whether an environment can exist yet. */
  readonly stagesRun: ReadonlySet<string>;
  /** Per execution with an upstream bake: while the upstream environment ran this build. */
  readonly upstreamSpans?: ReadonlyMap<string, Read<TimeSpan>>;
  readonly halt: Read<Halt | undefined>;
  /** The calendar's answer per pipeline execution; absent (or `undefined`) when no calendar is configured. */
  readonly releaseWindows?: ReadonlyMap<string, Read<ReleaseWindow | undefined>>;
  /** Gate-owned approvals someone other than the gate decided: noted in the build's later summaries. */
  readonly decidedByHand?: readonly HandDecision[];
}

/** A gate-owned approval decided by someone other than the gate (GetPipelineState's `updatedBy`). */
export interface HandDecision {
  readonly pipelineExecutionId: string;
  readonly stageName: string;
  readonly actionName: string;
  /** The action execution, unique: what the gate remembers having announced. */
  readonly actionExecutionId: string;
  readonly status: 'Succeeded' | 'Failed';
  readonly by: string;
  readonly at?: Date;
}

/** A gate-owned approval as GetPipelineState last saw it decided. */
export interface DecidedApproval {
  readonly pipelineExecutionId?: string;
  readonly stageName: string;
  readonly actionName: string;
  readonly actionExecutionId?: string;
  readonly status: string;
  readonly updatedBy?: string;
  readonly at?: Date;
}

/** `arn:<partition>:sts::<account>:assumed-role/<roleName>/…`: a session of that role. */
function sessionOf(roleName: string): RegExp {
  return new RegExp(`^arn:[^:]+:sts::\\d{12}:assumed-role/${roleName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`);
}

/**
 * The decided gate-owned approvals that someone other than the gate decided: any `updatedBy` that is not a
 * session of the gate's own role. A rejection by the operator role is `tollgate stop`, which announces itself,
 * so it is not one; anything else the operator role decides (an approval in the console) is.
 */
export function decidedByHand(decided: readonly DecidedApproval[], roles: { readonly gateRoleName: string; readonly operatorRoleName?: string }): HandDecision[] {
  const gateSession = sessionOf(roles.gateRoleName);
  const operatorSession = roles.operatorRoleName ? sessionOf(roles.operatorRoleName) : undefined;
  return decided.flatMap((d) => {
    if ((d.status !== 'Succeeded' && d.status !== 'Failed') || !d.updatedBy || !d.actionExecutionId || !d.pipelineExecutionId) return [];
    if (gateSession.test(d.updatedBy)) return [];
    if (d.status === 'Failed' && operatorSession?.test(d.updatedBy)) return [];
    return [{ pipelineExecutionId: d.pipelineExecutionId, stageName: d.stageName, actionName: d.actionName, actionExecutionId: d.actionExecutionId, status: d.status, by: d.updatedBy, at: d.at }];
  });
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

/** A gate-owned approval: a bake at the end of a stage, or an entry check at its start. */
export type GateAction = { readonly kind: 'bake'; readonly bake: BakeSettings } | { readonly kind: 'entry-check'; readonly check: EntryCheckSettings };

/** What the approval is; the adapter only reports approvals the gate owns. */
export function gateActionOf(approval: Pick<PendingApproval, 'stageName' | 'actionName'>, settings: Pick<DecisionSettings, 'bakes' | 'entryChecks'>): GateAction {
  const owns = (a: { stageName: string; actionName: string }) => a.stageName === approval.stageName && a.actionName === approval.actionName;
  const bake = settings.bakes.find(owns);
  if (bake) return { kind: 'bake', bake };
  const check = settings.entryChecks.find(owns);
  if (check) return { kind: 'entry-check', check };
  throw new Error(`the gate owns no approval ${approval.stageName}/${approval.actionName}`);
}

/** The earlier bake whose environment still counts, and the stage promoted to, whatever the action. */
export function reachOf(action: GateAction): { upstream?: UpstreamSettings; promotion?: PromotionSettings } {
  return action.kind === 'bake' ? action.bake : action.check;
}

/** The environment of that name. */
export function environmentOf(name: string, settings: Pick<DecisionSettings, 'environments'>): EnvironmentSettings {
  const env = settings.environments.find((e) => e.name === name);
  if (!env) throw new Error(`the gate watches no environment ${name}`);
  return env;
}

/**
 * Decides every pending approval. Rejections win over retries, retries over waits, waits over approval: a
 * build is promoted only when the bake time (and the alarms' latency) has passed, no watched alarm was in
 * ALARM, redefined or silenced since the bake started, the environment's stack was not changed outside the
 * pipeline, the watched alarms are OK now, the environment showed evidence of traffic, and, where the bake
 * promotes, the next environment is not in ALARM, nothing is halted and the calendar lets it start. A read that
 * fails is retried on the next check and rejects once it has failed for the tolerance.
 */
export function decide(inputs: GateInputs, settings: DecisionSettings): Decision[] {
  return inputs.approvals.map((approval) => ({ approval, verdict: decideOne(approval, inputs, settings) }));
}

/** What one approval's checks found, by how much each weighs. */
class Findings {
  readonly rejections: string[] = [];
  /** Failed reads still within the tolerance: retried on the next check. */
  readonly retries: string[] = [];
  readonly evidence: string[] = [];
  readonly holds: string[] = [];
  readonly notes: string[] = [];
  /** What opened a release calendar that would be closed (a break-glass override): first in the approval. */
  readonly calendarNotes: string[] = [];

  constructor(
    readonly now: Date,
    readonly toleranceMinutes: number,
  ) {}

  /**
   * The value of an environment's read, or undefined when there is none to judge: not read at all (a rejection),
   * or failed (a retry, or a rejection once it has failed for the tolerance).
   */
  valueOf<T>(name: string, read: Read<T> | undefined): T | undefined {
    if (!read) {
      this.rejections.push(`${name} was not read`);
      return undefined;
    }
    if (!read.ok) {
      this.failed(name, read);
      return undefined;
    }
    return read.value;
  }

  /** What `other` found about one target of several, each line naming the target: `prod-eu-west-1: …`. */
  absorb(other: Findings, target: string): void {
    const named = (lines: readonly string[]) => lines.map((line) => `${target}: ${line}`);
    this.rejections.push(...named(other.rejections));
    this.retries.push(...named(other.retries));
    this.evidence.push(...named(other.evidence));
    this.holds.push(...named(other.holds));
    this.notes.push(...named(other.notes));
  }

  /** A failed read: retried while it is young, a rejection once it has failed for the tolerance. */
  failed(what: string, read: { readonly error: string; readonly failingSince: Date }): void {
    const failing = this.now.getTime() - read.failingSince.getTime();
    if (failing >= this.toleranceMinutes * MINUTE) {
      this.rejections.push(`cannot read ${what} for ${duration(failing)}: ${read.error}`);
    } else {
      const lasted = failing < MINUTE ? '' : ` for ${duration(failing)}`;
      this.retries.push(`cannot read ${what}${lasted}, retrying (rejects after ${duration(this.toleranceMinutes * MINUTE)}): ${read.error}`);
    }
  }
}

function decideOne(approval: PendingApproval, inputs: GateInputs, settings: DecisionSettings): Verdict {
  const action = gateActionOf(approval, settings);
  return action.kind === 'bake' ? decideBake(approval, action.bake, inputs, settings) : decideEntry(approval, action.check, inputs, settings);
}

/** Notes on the build's other gate-owned approvals that someone other than the gate decided. */
function handNotes(approval: PendingApproval, inputs: GateInputs): string[] {
  return (inputs.decidedByHand ?? [])
    .filter((d) => d.pipelineExecutionId === approval.pipelineExecutionId)
    .map((d) => `NOTE: ${d.stageName}/${d.actionName} was ${d.status === 'Succeeded' ? 'approved' : 'rejected'} by hand by ${d.by}`);
}

/** An entry check: the earlier environment clean since its bake started, the entered one ready. No waiting time. */
function decideEntry(approval: PendingApproval, check: EntryCheckSettings, inputs: GateInputs, settings: DecisionSettings): Verdict {
  const f = new Findings(inputs.now, settings.readFailureToleranceMinutes);
  checkUpstream(f, check.upstream, approval, inputs, settings);
  checkPromotion(f, check.promotion, approval, inputs, settings);
  checkHalt(f, inputs);
  if (f.rejections.length > 0) return verdict('reject', 'rejected at entry', f.rejections);
  if (f.retries.length > 0) return verdict('wait', 'waiting at entry', [...f.retries, ...f.holds]);
  if (f.holds.length > 0) return verdict('wait', 'waiting at entry', f.holds);
  return verdict('approve', 'entry check passed', [
    `${check.upstream.environments.join(', ')} clean since its bake started`,
    ...f.calendarNotes,
    ...f.notes,
    ...handNotes(approval, inputs),
  ]);
}

function checkHalt(f: Findings, inputs: GateInputs): void {
  if (!inputs.halt.ok) f.failed('the halt flag', inputs.halt);
  else if (inputs.halt.value?.halted) {
    const h = inputs.halt.value;
    f.holds.push(`halted by ${h.by} at ${h.at}: ${h.reason}`);
  }
}

function decideBake(approval: PendingApproval, bake: BakeSettings, inputs: GateInputs, settings: DecisionSettings): Verdict {
  const { now } = inputs;
  const start = approval.bakeStartedAt;
  const f = new Findings(now, settings.readFailureToleranceMinutes);
  const baked = bake.environments.join(', ');

  // Every target of a wave on its own: one that alarms, cannot be read or shows no evidence decides for all.
  for (const name of bake.environments) {
    const env = environmentOf(name, settings);
    if (bake.environments.length === 1) checkBakedEnvironment(f, env, bake, start, inputs.environments.get(name), now);
    else {
      const target = new Findings(now, settings.readFailureToleranceMinutes);
      checkBakedEnvironment(target, env, bake, start, inputs.environments.get(name), now);
      f.absorb(target, name);
    }
  }
  if (bake.upstream) checkUpstream(f, bake.upstream, approval, inputs, settings);
  if (bake.promotion) checkPromotion(f, bake.promotion, approval, inputs, settings);
  checkHalt(f, inputs);

  if (f.rejections.length > 0) return verdict('reject', 'rejected', f.rejections);
  if (f.retries.length > 0) return verdict('wait', 'waiting', [...f.retries, ...f.holds]);

  const bakeEnd = start.getTime() + bake.minutes * MINUTE;
  const seen = bakeEnd + settings.alarmLatencyMinutes * MINUTE;
  if (now.getTime() < bakeEnd) {
    return verdict('wait', 'waiting', [`${duration(bakeEnd - now.getTime())} of ${baked} bake left`, ...f.evidence, ...f.holds]);
  }
  if (now.getTime() < seen) {
    return verdict('wait', 'waiting', [
      `bake over; ${duration(seen - now.getTime())} more for the alarms to judge its last minutes`,
      ...f.evidence,
      ...f.holds,
    ]);
  }
  if (f.evidence.length > 0) {
    const overdue = now.getTime() - seen;
    if (overdue >= bake.evidenceGraceMinutes * MINUTE) {
      return verdict('reject', 'rejected', [`no evidence of health ${duration(overdue)} after the bake`, ...f.evidence]);
    }
    return verdict('wait', 'waiting', [...f.evidence, ...f.holds]);
  }
  if (f.holds.length > 0) return verdict('wait', 'waiting', f.holds);
  const optOut = bake.allowNoTraffic ? ['NO EVIDENCE OF TRAFFIC REQUIRED (allowNoTraffic)'] : [];
  return verdict('approve', 'approved', [
    `${duration(bake.minutes * MINUTE)} ${baked} bake clean`,
    ...optOut,
    ...f.calendarNotes,
    ...f.notes,
    ...handNotes(approval, inputs),
  ]);
}

/** The environment the stage deployed: alarms, tampering, out-of-band changes and evidence since `start`. */
function checkBakedEnvironment(
  f: Findings,
  env: EnvironmentSettings,
  bake: BakeSettings,
  start: Date,
  read: Read<EnvironmentReading> | undefined,
  now: Date,
): void {
  // The stage has just deployed the environment, so its role exists: a missing role is a failure too.
  const reading = f.valueOf(env.name, read);
  if (!reading) return;
  for (const alarm of watchedAlarms(f, env, reading)) {
    const fired = alarmDuring(alarm, { start, end: now }, now);
    if (fired) f.rejections.push(fired);
    else if (!alarm.actionsEnabled) f.rejections.push(`${alarm.name} has its actions disabled`);
    else if (alarm.state !== 'OK') f.evidence.push(`${alarm.name} is ${alarm.state}, not OK (${alarm.reason})`);
    else f.notes.push(`${alarm.name} OK, no ALARM since ${clock(start, now)}`);
  }
  for (const change of reading.configurationChanges.filter((c) => c.at >= start)) {
    f.rejections.push(`${change.alarmName} changed at ${clock(change.at, now)} during the bake (${change.summary})`);
  }
  const stack = reading.stack;
  if (stack === 'missing') f.rejections.push(`the ${env.name} service stack does not exist`);
  else if (stack?.lastUpdatedAt && stack.lastUpdatedAt > start) {
    f.rejections.push(`${stack.name} was updated outside the pipeline at ${clock(stack.lastUpdatedAt, now)}, during the bake`);
  }
  if (!bake.allowNoTraffic) checkEvidence(f, env, reading, start, now);
}

/** The environment's watched alarms as read; each one that does not exist is a rejection. */
function watchedAlarms(f: Findings, env: EnvironmentSettings, reading: EnvironmentReading): AlarmReading[] {
  const byName = new Map(reading.alarms.map((a) => [a.name, a]));
  return env.alarmNames.flatMap((name) => {
    const alarm = byName.get(name);
    if (!alarm) f.rejections.push(`${name} does not exist in ${env.name}`);
    return alarm ? [alarm] : [];
  });
}

/** Evidence that the environment served traffic: synthetic check runs over the time, and requests served. */
function checkEvidence(f: Findings, env: EnvironmentSettings, reading: EnvironmentReading, start: Date, now: Date): void {
  const { syntheticChecks, requests } = env.evidence;
  if (syntheticChecks) {
    const elapsed = Math.floor((now.getTime() - start.getTime()) / MINUTE);
    // Only one-minute periods that start inside the bake count: evidence is counted conservatively.
    const covered = new Set(
      (reading.syntheticRuns ?? []).filter((d) => d.at >= start && d.at < now && d.value > 0).map((d) => Math.floor(d.at.getTime() / MINUTE)),
    ).size;
    const percent = elapsed === 0 ? 0 : Math.floor((100 * covered) / elapsed);
    const what = `synthetic checks ran in ${covered} of ${elapsed} min (${percent}%, minimum ${syntheticChecks.minimumCoveragePercent}%)`;
    if (elapsed === 0 || percent < syntheticChecks.minimumCoveragePercent) f.evidence.push(`${env.name} ${what}`);
    else f.notes.push(what);
  }
  if (requests) {
    const served = (reading.requests ?? []).filter((d) => d.at >= start).reduce((sum, d) => sum + d.value, 0);
    const count = `${formatCount(served)} requests (minimum ${formatCount(requests.minimum)})`;
    if (served < requests.minimum) f.evidence.push(`${env.name} served only ${count} during the bake`);
    else f.notes.push(count);
  }
}

/** The earlier stage's environments while they still ran this build: an ALARM in any of them rejects this bake too. */
function checkUpstream(f: Findings, upstream: UpstreamSettings, approval: PendingApproval, inputs: GateInputs, settings: DecisionSettings): void {
  const span = f.valueOf(`when ${upstream.environments.join(', ')} ran this build`, inputs.upstreamSpans?.get(approval.pipelineExecutionId));
  if (!span) return;
  for (const name of upstream.environments) {
    const env = environmentOf(name, settings);
    const reading = f.valueOf(env.name, inputs.environments.get(env.name));
    if (!reading) continue;
    for (const alarm of watchedAlarms(f, env, reading)) {
      const fired = alarmDuring(alarm, span, inputs.now);
      if (fired) f.rejections.push(`${fired}, while ${env.name} still ran this build`);
    }
  }
}

/** Whether the next stage may receive the build now: the health of each of its environments, and the release calendar. */
function checkPromotion(f: Findings, promotion: PromotionSettings, approval: PendingApproval, inputs: GateInputs, settings: DecisionSettings): void {
  const { now } = inputs;
  for (const name of promotion.environments) checkPromotedHealth(f, environmentOf(name, settings), promotion, inputs);
  const entered = promotion.environments.join(', ');

  const window = inputs.releaseWindows?.get(approval.pipelineExecutionId);
  if (window && !window.ok) f.failed('the release calendar', window);
  else if (window?.value) {
    const w = window.value;
    if (!w.open) {
      f.holds.push(`release calendar closed: ${w.reasons.join(', ')}${w.nextOpen ? `; opens ${w.nextOpen}` : ''}`);
    } else {
      if (openedByOverride(w)) f.calendarNotes.push(`release calendar opened by ${w.reasons.join(', ')}`);
      if (w.closesAt !== undefined) {
        const closesAt = new Date(w.closesAt);
        const needed = promotion.lateStartMinutes * MINUTE;
        if (Number.isNaN(closesAt.getTime())) {
          f.rejections.push(`the release calendar gave an unreadable closing time ${JSON.stringify(w.closesAt)}`);
        } else if (closesAt.getTime() - now.getTime() < needed) {
          f.holds.push(
            `too late to start ${entered}: the window closes at ${clock(closesAt, now)} and ${entered} deploy + bake take ${duration(needed)}`,
          );
        }
      }
    }
  }
}

/** One environment promoted to: in ALARM it holds the build (the build did nothing wrong), unreadable it fails closed. */
function checkPromotedHealth(f: Findings, env: EnvironmentSettings, promotion: PromotionSettings, inputs: GateInputs): void {
  const healthName = env.alarmNames[0];
  const read = inputs.environments.get(env.name);
  if (!read) f.rejections.push(`${env.name} was not read`);
  else if (!read.ok) {
    // Before its first deployment the environment has no stack, and so no reader role: nothing to protect.
    if (read.roleMissing && !inputs.stagesRun.has(promotion.stageName)) f.notes.push(`${env.name} not deployed yet`);
    else f.failed(`${env.name} health`, read);
  } else {
    const health = read.value.alarms.find((a) => a.name === healthName);
    if (!health) f.rejections.push(`${healthName} does not exist in ${env.name}`);
    else if (health.state === 'ALARM') {
      f.holds.push(`${env.name} unhealthy: ${health.name} in ALARM since ${clock(health.since, inputs.now)} (${health.reason})`);
    } else f.notes.push(`${health.name} ${health.state}`);
  }
}

/** The first moment within the span that the alarm was in ALARM, described; undefined if it never was. */
function alarmDuring(alarm: AlarmReading, span: TimeSpan, now: Date): string | undefined {
  const { start, end } = span;
  const changes = alarm.changes
    .filter((c) => c.at >= start && c.at <= end && (c.to === 'ALARM' || c.from === 'ALARM'))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const first = changes[0];
  if (first?.to === 'ALARM') return `${alarm.name} entered ALARM at ${clock(first.at, now)} (reason: ${first.reason})`;
  if (first) return `${alarm.name} was in ALARM when the bake started, until ${clock(first.at, now)}`;
  if (alarm.state === 'ALARM' && alarm.since <= end) {
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
  /** The region the alarm lives in; a forwarded event keeps it. Without it, any region of the account matches. */
  readonly region?: string;
  readonly alarmName: string;
  readonly state: AlarmState;
  readonly reason: string;
  readonly at: Date;
}

/** Where each watched environment lives, by environment name. */
export type EnvironmentAccounts = ReadonlyMap<string, { readonly account: string; readonly region: string }>;

/**
 * The fast path: a watched alarm entered ALARM, so every approval baking in that alarm's environment (one of
 * a wave's targets included) since before that moment is rejected now, without reading anything else. Returns no decision for an event that
 * rejects nothing this way (a recovery, an event older than the bake, an earlier environment's alarm); the
 * reconcile that follows covers those.
 */
export function rejectionsForAlarmEvent(
  event: AlarmEvent,
  approvals: readonly PendingApproval[],
  settings: Pick<DecisionSettings, 'bakes' | 'entryChecks' | 'environments'>,
  accounts: EnvironmentAccounts,
  now: Date,
): Decision[] {
  if (event.state !== 'ALARM') return [];
  const fired = `${event.alarmName} entered ALARM at ${clock(event.at, now)} (reason: ${event.reason})`;
  return approvals.flatMap((approval) => {
    const action = gateActionOf(approval, settings);
    // An entry check holds for the entered environment's health; the reconcile that follows decides it.
    if (action.kind !== 'bake' || event.at < approval.bakeStartedAt) return [];
    const target = alarmedTarget(event, action.bake, settings, accounts);
    if (target === undefined) return [];
    return [{ approval, verdict: verdict('reject', 'rejected', [action.bake.environments.length > 1 ? `${target}: ${fired}` : fired]) }];
  });
}

/** The bake's environment the alarm event is about, if any. */
function alarmedTarget(event: AlarmEvent, bake: BakeSettings, settings: Pick<DecisionSettings, 'environments'>, accounts: EnvironmentAccounts): string | undefined {
  return bake.environments.find((name) => {
    const where = accounts.get(name);
    const sameRegion = event.region === undefined || where?.region === event.region;
    return where?.account === event.account && sameRegion && environmentOf(name, settings).alarmNames.includes(event.alarmName);
  });
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

function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
