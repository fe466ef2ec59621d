/**
 * The release recorder's decision, pure: one CodePipeline event, the execution's record as stored, what the adapter
 * read about the execution, and a clock in; the updated record, the metrics to emit and the announcement to make
 * out. EventBridge delivers at least once and in no guaranteed order (EventBridge User Guide, "Retry policy" and
 * "Event patterns": targets must be idempotent), so every field is merged so that a duplicate event changes nothing
 * and events applied in any order end in the same record: times keep their earliest (reached, started) or latest
 * (succeeded, failed, ended) value, verdicts are kept once each, usage only grows, and an outcome is replaced only by
 * a later one.
 */
import { z } from 'zod';
import { isoSeconds } from '../../domain/iso-time';
import { addUsage, NO_USAGE, releaseCost, ReleasePrices, TOLLGATE_FOOTPRINT } from '../../domain/release-cost';
import { ActionRun, actionRunUsage, gateKindOf, PipelineShape } from '../../domain/release-facts';
import { GateVerdict, RELEASE_RECORD_SCHEMA_VERSION, RecordedUsage, ReleaseOutcome, ReleaseRecord } from '../../domain/release-record';
import { checkWithSchema } from '../../domain/schema';
import { RELEASE_VERSION_VARIABLE, RELEASE_VERSION_PATTERN } from '../../domain/release-version';

/** The three CodePipeline event types the recorder's rule matches (CodePipeline User Guide, "Monitoring CodePipeline events"). */
export const RECORDED_DETAIL_TYPES = {
  execution: 'CodePipeline Pipeline Execution State Change',
  stage: 'CodePipeline Stage Execution State Change',
  action: 'CodePipeline Action Execution State Change',
} as const;

/** One CodePipeline event, as the recorder uses it. */
export type RecorderEvent =
  | { readonly kind: 'execution'; readonly pipeline: string; readonly executionId: string; readonly state: string; readonly at: Date; readonly triggerType?: string }
  | { readonly kind: 'stage'; readonly pipeline: string; readonly executionId: string; readonly state: string; readonly at: Date; readonly stage: string }
  | {
      readonly kind: 'action';
      readonly pipeline: string;
      readonly executionId: string;
      readonly state: string;
      readonly at: Date;
      readonly stage: string;
      readonly action: string;
      readonly category: string;
      readonly provider: string;
      /** `execution-result.external-execution-summary`, when the event carries one. */
      readonly summary?: string;
    };

/** An event the recorder cannot use: one line naming the field and the value. */
export class RecorderEventError extends Error {
  constructor(field: string, value: unknown, expectation: string) {
    super(`unusable event: ${field} ${expectation}, got ${JSON.stringify(value)}`);
    this.name = 'RecorderEventError';
  }
}

const text = z.string().min(1);
const eventSchema = z.looseObject({
  source: z.literal('aws.codepipeline'),
  'detail-type': z.enum(Object.values(RECORDED_DETAIL_TYPES)),
  time: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 instant' }),
  detail: z.looseObject({
    pipeline: text,
    'execution-id': z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a CodePipeline execution ID'),
    state: text,
    stage: text.optional(),
    action: text.optional(),
    type: z.looseObject({ category: text.optional(), provider: text.optional() }).optional(),
    'execution-trigger': z.looseObject({ 'trigger-type': z.string().optional() }).optional(),
    'execution-result': z.looseObject({ 'external-execution-summary': z.string().optional() }).optional(),
  }),
});

/** A CodePipeline event from EventBridge, checked; EventBridge's other fields are ignored. */
export function parseRecorderEvent(value: unknown): RecorderEvent {
  const checked = checkWithSchema(eventSchema, value, 'event');
  if (!checked.ok) throw new RecorderEventError(checked.problem.field, checked.problem.value, checked.problem.expectation);
  const e = checked.value;
  const d = e.detail;
  const base = { pipeline: d.pipeline, executionId: d['execution-id'], state: d.state, at: new Date(e.time) };
  if (e['detail-type'] === RECORDED_DETAIL_TYPES.execution) return { kind: 'execution', ...base, triggerType: d['execution-trigger']?.['trigger-type'] };
  if (!d.stage) throw new RecorderEventError('event.detail.stage', d.stage, 'must be a stage name');
  if (e['detail-type'] === RECORDED_DETAIL_TYPES.stage) return { kind: 'stage', ...base, stage: d.stage };
  if (!d.action) throw new RecorderEventError('event.detail.action', d.action, 'must be an action name');
  return {
    kind: 'action',
    ...base,
    stage: d.stage,
    action: d.action,
    category: d.type?.category ?? '?',
    provider: d.type?.provider ?? '?',
    summary: d['execution-result']?.['external-execution-summary'],
  };
}

/** What GetPipelineExecution says of the execution. */
export interface ExecutionContext {
  readonly executionType: 'STANDARD' | 'ROLLBACK';
  /** The source revision: the commit. */
  readonly commitId?: string;
  /**
   * The source revision's `created` time: for a Git source, very probably the commit's time **[unverified]**; absent
   * when CodePipeline does not report it, and then lead time is unknown for this release.
   */
  readonly commitTime?: Date;
  /** On a rollback: the execution whose release it rolled back ({@link rolledBackExecution}). */
  readonly rollbackOf?: string;
}

/** One ended run of an action, as ListActionExecutions details it: its run, its summary and output variables. */
export interface ActionDetail {
  readonly run: ActionRun;
  readonly summary?: string;
  readonly outputVariables?: Readonly<Record<string, string>>;
}

/** What the recorder knows of the pipeline: its shape (the manifest's) and the prices a release's cost is emitted at. */
export interface RecorderSettings {
  readonly pipelineName: string;
  readonly shape: PipelineShape;
  readonly prices: ReleasePrices;
}

/** The input of one decision. */
export interface RecorderInput {
  readonly event: RecorderEvent;
  /** The record as stored; absent for the execution's first event seen. */
  readonly record?: ReleaseRecord;
  /** Read when there is no record yet, or it lacks the commit ({@link recorderNeeds}). */
  readonly execution?: ExecutionContext;
  /** The execution's action runs, read when an action or the execution ended ({@link recorderNeeds}). */
  readonly actions?: readonly ActionDetail[];
  readonly now: Date;
}

/** The metrics the recorder emits (namespace {@link RELEASE_METRICS_NAMESPACE}, dimension `Pipeline`). */
export const RELEASE_METRICS = {
  deployments: 'Deployments',
  leadTime: 'LeadTimeSeconds',
  failedDeployments: 'FailedDeployments',
  haltLatency: 'HaltLatencySeconds',
  buildsStopped: 'BuildsStopped',
  cost: 'ReleaseCostDollars',
} as const;

export const RELEASE_METRICS_NAMESPACE = 'Tollgate/Releases';

export interface RecorderMetric {
  readonly name: (typeof RELEASE_METRICS)[keyof typeof RELEASE_METRICS];
  readonly unit: 'Count' | 'Seconds' | 'None';
  readonly value: number;
  /** `BuildsStopped` has a second dimension: the gate that stopped the build. */
  readonly gate?: string;
}

export interface Announcement {
  readonly subject: string;
  readonly message: string;
}

export interface RecorderOutput {
  readonly record: ReleaseRecord;
  /** Whether the record differs from the one stored: an unchanged record is not written again. */
  readonly changed: boolean;
  readonly metrics: readonly RecorderMetric[];
  readonly announcement?: Announcement;
}

const TERMINAL_EXECUTION: Readonly<Record<string, ReleaseOutcome>> = {
  SUCCEEDED: 'released',
  FAILED: 'rejected',
  STOPPED: 'stopped',
  CANCELED: 'stopped',
  SUPERSEDED: 'superseded',
};
const ENDED_ACTION = new Set(['SUCCEEDED', 'FAILED', 'ABANDONED', 'CANCELED']);

/** What the adapter must read for this event: the execution (GetPipelineExecution) and the action runs (ListActionExecutions). */
export function recorderNeeds(event: RecorderEvent, record: ReleaseRecord | undefined): { readonly execution: boolean; readonly actions: boolean } {
  const execution = record === undefined || (record.executionType === 'STANDARD' && record.commitId === undefined);
  const ended = (event.kind === 'action' && ENDED_ACTION.has(event.state)) || (event.kind === 'execution' && event.state in TERMINAL_EXECUTION);
  return { execution, actions: ended };
}

const iso = (date: Date) => isoSeconds(date);
const earliest = (a: string | undefined, b: string) => (a === undefined || Date.parse(b) < Date.parse(a) ? b : a);
const latest = (a: string | undefined, b: string) => (a === undefined || Date.parse(b) > Date.parse(a) ? b : a);

/**
 * The time of the alarm that caused a gate's rejection, from its summary: the bake gate writes `<alarm> entered
 * ALARM at 10:42:07Z` (the day of the verdict, UTC) or the full instant (`clock` in the gate's core). A clock time
 * later than the verdict was on the day before.
 */
export function alarmTimeOf(summary: string | undefined, verdictAt: Date): Date | undefined {
  const match = /entered ALARM at (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z|\d{2}:\d{2}:\d{2}Z)/.exec(summary ?? '');
  if (!match) return undefined;
  if (match[1].length > 9) return new Date(match[1]);
  const sameDay = new Date(`${verdictAt.toISOString().slice(0, 10)}T${match[1]}`);
  return sameDay > verdictAt ? new Date(sameDay.getTime() - 86_400_000) : sameDay;
}

/**
 * The execution a rollback rolled back: the newest standard execution that started before the rollback and after
 * the execution it restored (the release that was in the stage when it failed). `summaries` newest first, as
 * ListPipelineExecutions answers them.
 */
export function rolledBackExecution(
  summaries: readonly { readonly pipelineExecutionId?: string; readonly startTime?: Date; readonly executionType?: string }[],
  rollback: { readonly executionId: string; readonly targetExecutionId?: string },
): string | undefined {
  const own = summaries.find((s) => s.pipelineExecutionId === rollback.executionId);
  const target = summaries.find((s) => s.pipelineExecutionId === rollback.targetExecutionId);
  return summaries.find(
    (s) =>
      s.pipelineExecutionId !== rollback.executionId &&
      s.pipelineExecutionId !== rollback.targetExecutionId &&
      s.executionType !== 'ROLLBACK' &&
      s.startTime !== undefined &&
      (own?.startTime === undefined || s.startTime <= own.startTime) &&
      (target?.startTime === undefined || s.startTime > target.startTime),
  )?.pipelineExecutionId;
}

/** A record for an execution first seen now. */
function newRecord(settings: RecorderSettings, event: RecorderEvent, execution: ExecutionContext | undefined): ReleaseRecord {
  const rollback = execution?.executionType === 'ROLLBACK' || (event.kind === 'execution' && /Rollback$/.test(event.triggerType ?? ''));
  return {
    schemaVersion: RELEASE_RECORD_SCHEMA_VERSION,
    pipelineName: settings.pipelineName,
    executionId: event.executionId,
    startedAt: iso(event.at),
    executionType: rollback ? 'ROLLBACK' : 'STANDARD',
    stages: {},
    gates: [],
    outcome: 'in-progress',
  };
}

/** The commit and, on a rollback, what it rolled back, where the record does not have them yet. */
function withExecution(record: ReleaseRecord, execution: ExecutionContext | undefined): ReleaseRecord {
  if (!execution) return record;
  return {
    ...record,
    executionType: execution.executionType,
    commitId: record.commitId ?? execution.commitId,
    commitTime: record.commitTime ?? (execution.commitTime && iso(execution.commitTime)),
    rollbackOf: record.rollbackOf ?? execution.rollbackOf,
  };
}

function withStage(record: ReleaseRecord, stage: string, state: string, at: string): ReleaseRecord {
  const times = { ...record.stages[stage] };
  if (state === 'STARTED' || state === 'RESUMED') times.reachedAt = earliest(times.reachedAt, at);
  else if (state === 'SUCCEEDED') times.succeededAt = latest(times.succeededAt, at);
  else if (state === 'FAILED') times.failedAt = latest(times.failedAt, at);
  else return record;
  times.reachedAt ??= at;
  // A stage retried after a failure and then passed is through; the later of the two is what happened last.
  if (times.succeededAt && times.failedAt) {
    if (Date.parse(times.succeededAt) >= Date.parse(times.failedAt)) delete times.failedAt;
    else delete times.succeededAt;
  }
  return { ...record, stages: { ...record.stages, [stage]: times } };
}

/** The verdict an ended action gives, if it is a gate: the gate's approvals both ways, the others when they fail. */
function verdictOf(event: Extract<RecorderEvent, { kind: 'action' }>, settings: RecorderSettings, detail: ActionDetail | undefined): GateVerdict | undefined {
  const kind = gateKindOf(event.stage, event.action, event.category, event.provider, settings.shape);
  if (!kind || (event.state !== 'SUCCEEDED' && event.state !== 'FAILED')) return undefined;
  const owned = settings.shape.gateActions.some((a) => a.stage === event.stage && a.action === event.action);
  if (!owned && event.state === 'SUCCEEDED') return undefined;
  const reason = event.summary ?? detail?.summary;
  const alarmAt = event.state === 'FAILED' ? alarmTimeOf(reason, event.at) : undefined;
  return {
    stage: event.stage,
    action: event.action,
    kind,
    verdict: event.state === 'SUCCEEDED' ? 'APPROVED' : owned ? 'REJECTED' : 'FAILED',
    at: iso(event.at),
    ...(alarmAt ? { alarmAt: iso(alarmAt) } : {}),
    ...(reason ? { reason } : {}),
  };
}

function sameVerdict(a: GateVerdict, b: GateVerdict): boolean {
  return a.stage === b.stage && a.action === b.action && a.verdict === b.verdict && a.at === b.at;
}

/** The execution's usage from its ended action runs, never less than what was recorded (an older read may arrive later). */
function usageOf(actions: readonly ActionDetail[], shape: PipelineShape, recorded: RecordedUsage | undefined, now: Date): RecordedUsage {
  const used = actions.filter((a) => a.run.endedAt !== undefined).reduce((sum, a) => addUsage(sum, actionRunUsage(a.run, shape, now.getTime())), NO_USAGE);
  const buildMinutes = Object.values(used.buildMinutes).reduce((a, b) => a + (b ?? 0), 0);
  return {
    actionMinutes: Math.max(used.actionMinutes, recorded?.actionMinutes ?? 0),
    buildMinutes: Math.max(buildMinutes, recorded?.buildMinutes ?? 0),
    gateMinutes: Math.max(used.gateMinutes, recorded?.gateMinutes ?? 0),
    bakeMinutes: Math.max(used.bakeMinutes, recorded?.bakeMinutes ?? 0),
  };
}

/** The version the Build exported, from its action's output variables. */
function versionOf(actions: readonly ActionDetail[]): string | undefined {
  return actions.map((a) => a.outputVariables?.[RELEASE_VERSION_VARIABLE]).find((v) => v !== undefined && RELEASE_VERSION_PATTERN.test(v));
}

/** A standard execution through its last promotion stage is released, whatever ends it later (a rollback aside). */
function released(record: ReleaseRecord, shape: PipelineShape): ReleaseRecord {
  const last = record.stages[shape.promotionStages[shape.promotionStages.length - 1]]?.succeededAt;
  if (record.executionType !== 'STANDARD' || last === undefined) return record;
  return { ...record, releasedAt: earliest(record.releasedAt, last), outcome: record.outcome === 'rolled-back' ? 'rolled-back' : 'released' };
}

function withExecutionState(record: ReleaseRecord, state: string, at: string): ReleaseRecord {
  const outcome = TERMINAL_EXECUTION[state];
  if (state === 'RESUMED' && (record.endedAt === undefined || Date.parse(record.endedAt) <= Date.parse(at))) {
    // A retried execution runs again: what ended it is history.
    const { endedAt: _ended, ...open } = record;
    return { ...open, outcome: record.outcome === 'rolled-back' || record.releasedAt ? record.outcome : 'in-progress' };
  }
  if (!outcome || (record.endedAt !== undefined && Date.parse(record.endedAt) > Date.parse(at))) return record;
  // Released and rolled back stay so: a stage after prod failing, or a later stop, does not undo either.
  if (record.outcome === 'rolled-back' || record.releasedAt !== undefined) return { ...record, endedAt: at };
  // A standard execution that succeeded passed every stage: released by then at the latest (its last promotion
  // stage's event, if it comes later, makes it earlier).
  if (record.executionType === 'STANDARD' && outcome === 'released') return { ...record, endedAt: at, releasedAt: at, outcome };
  return { ...record, endedAt: at, outcome };
}

/** Whether `record` deployed to prod and failed or was stopped there. */
function failedInProd(record: ReleaseRecord, shape: PipelineShape): boolean {
  return (record.outcome === 'rejected' || record.outcome === 'stopped') && shape.promotionStages.some((s) => record.stages[s]?.reachedAt !== undefined);
}

/** `v1.4.17 (commit abc1234)`, as much of it as is known. */
export function describeRelease(record: Pick<ReleaseRecord, 'version' | 'commitId' | 'executionId'>): string {
  const commit = record.commitId ? ` (commit ${record.commitId.slice(0, 7)})` : '';
  return `${record.version ?? `execution ${record.executionId}`}${commit}`;
}

/**
 * The metrics and the announcement a change of the record makes: they are emitted on the change only, so a
 * duplicate event (which changes nothing) emits nothing twice.
 */
function consequences(before: ReleaseRecord | undefined, after: ReleaseRecord, settings: RecorderSettings): Pick<RecorderOutput, 'metrics' | 'announcement'> {
  const metrics: RecorderMetric[] = [];
  let announcement: Announcement | undefined;
  const newGates = after.gates.filter((g) => !(before?.gates ?? []).some((b) => sameVerdict(b, g)));
  for (const gate of newGates.filter((g) => g.verdict !== 'APPROVED')) {
    metrics.push({ name: RELEASE_METRICS.buildsStopped, unit: 'Count', value: 1, gate: gate.kind });
    if (gate.verdict === 'REJECTED' && gate.alarmAt) {
      metrics.push({ name: RELEASE_METRICS.haltLatency, unit: 'Seconds', value: Math.max(0, (Date.parse(gate.at) - Date.parse(gate.alarmAt)) / 1000) });
    }
  }
  if (before?.releasedAt === undefined && after.releasedAt !== undefined) {
    metrics.push({ name: RELEASE_METRICS.deployments, unit: 'Count', value: 1 });
    if (after.commitTime) metrics.push({ name: RELEASE_METRICS.leadTime, unit: 'Seconds', value: Math.max(0, (Date.parse(after.releasedAt) - Date.parse(after.commitTime)) / 1000) });
    if (after.usage) {
      const usage = { ...after.usage, buildMinutes: { [TOLLGATE_FOOTPRINT.buildCompute]: after.usage.buildMinutes } };
      metrics.push({ name: RELEASE_METRICS.cost, unit: 'None', value: releaseCost(usage, settings.prices).dollars });
    }
    announcement = {
      subject: `Tollgate ${settings.pipelineName}: released ${after.version ?? 'an unversioned build'}`,
      message: [
        `Released ${describeRelease(after)} to prod at ${after.releasedAt}.`,
        `Pipeline ${settings.pipelineName}, execution ${after.executionId}.`,
      ].join('\n'),
    };
  }
  const failedBefore = before !== undefined && (before.outcome === 'rolled-back' || failedInProd(before, settings.shape));
  if (!failedBefore && (after.outcome === 'rolled-back' || failedInProd(after, settings.shape))) metrics.push({ name: RELEASE_METRICS.failedDeployments, unit: 'Count', value: 1 });
  return { metrics, announcement };
}

/** The record after one event, and what the change emits. */
export function recordEvent(input: RecorderInput, settings: RecorderSettings): RecorderOutput {
  const { event, execution, actions = [] } = input;
  const before = input.record;
  let record = withExecution(before ?? newRecord(settings, event, execution), execution);
  const at = iso(event.at);
  record = { ...record, startedAt: earliest(record.startedAt, at) };
  if (event.kind === 'execution') record = withExecutionState(record, event.state, at);
  if (event.kind === 'stage') record = withStage(record, event.stage, event.state, at);
  if (event.kind === 'action') {
    // An action's event says its stage was reached, even when the stage's own event is late or lost.
    record = withStage(record, event.stage, 'STARTED', at);
    const detail = actions.find((a) => a.run.stage === event.stage && a.run.action === event.action);
    const verdict = verdictOf(event, settings, detail);
    if (verdict && !record.gates.some((g) => sameVerdict(g, verdict))) {
      record = { ...record, gates: [...record.gates, verdict].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)) };
    }
  }
  if (actions.length > 0) {
    record = { ...record, usage: usageOf(actions, settings.shape, record.usage, input.now) };
    const version = record.executionType === 'STANDARD' ? versionOf(actions) : undefined;
    if (version && !record.version) record = { ...record, version };
  }
  record = released(record, settings.shape);
  const changed = before === undefined || JSON.stringify(before) !== JSON.stringify(record);
  return { record, changed, ...(changed ? consequences(before, record, settings) : { metrics: [] }) };
}

/** The record of an execution a rollback rolled back: its outcome is `rolled-back` from now on. */
export function markRolledBack(record: ReleaseRecord, settings: RecorderSettings): RecorderOutput {
  if (record.outcome === 'rolled-back') return { record, changed: false, metrics: [] };
  const after: ReleaseRecord = { ...record, outcome: 'rolled-back' };
  return { record: after, changed: true, ...consequences(record, after, settings) };
}
