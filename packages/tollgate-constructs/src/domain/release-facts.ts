/**
 * One pipeline execution as the release metrics need it, from its release record where there is one and from
 * CodePipeline's history (ListPipelineExecutions' summary, ListActionExecutions' action runs) for the rest: when it
 * reached prod, was released or failed there, which gate stopped it, how long the gate took to halt it, and what
 * it used of each priced service. Pure: the views below are the API's shapes, so the SDK's objects fit them.
 */
import type { PipelineManifestDocument } from './pipeline-manifest';
import { NO_USAGE, ReleaseUsage, TOLLGATE_FOOTPRINT, addUsage } from './release-cost';
import { GateKind, RecordedUsage, ReleaseOutcome, ReleaseRecord, ReleaseRecordReading } from './release-record';
import { guardedStackOf } from './replacement-guard';
import { parseRevisionSummary } from './revision-summary';

/** A pipeline execution as ListPipelineExecutions summarizes it: the fields the metrics read. */
export interface ExecutionSummaryView {
  readonly pipelineExecutionId?: string;
  readonly status?: string;
  readonly startTime?: Date;
  readonly lastUpdateTime?: Date;
  readonly sourceRevisions?: readonly { readonly revisionId?: string; readonly revisionSummary?: string }[];
  readonly trigger?: { readonly triggerType?: string };
  /** `ROLLBACK` for an execution started by a stage rollback (CodePipeline API reference, PipelineExecutionSummary). */
  readonly executionType?: string;
}

/** An action execution as ListActionExecutions details it: the fields the metrics read. */
export interface ActionExecutionView {
  readonly stageName?: string;
  readonly actionName?: string;
  readonly status?: string;
  readonly startTime?: Date;
  readonly lastUpdateTime?: Date;
  readonly input?: { readonly actionTypeId?: { readonly category?: string; readonly provider?: string } };
}

/** One run of one action, from either source. Instants are epoch milliseconds. */
export interface ActionRun {
  readonly stage: string;
  readonly action: string;
  readonly category: string;
  readonly provider: string;
  /** InProgress, Succeeded, Failed or Abandoned. */
  readonly status: string;
  readonly startedAt: number;
  /** Absent while it runs. */
  readonly endedAt?: number;
}

/** What the metrics know of the pipeline's shape: its stages, the promotion stages (prod, or its waves) and the gate's approvals (the manifest's). */
export type PipelineShape = Pick<PipelineManifestDocument, 'stages' | 'promotionStages' | 'gateActions'>;

/** Whether `stage` is prod's, or one of its waves'. */
const inProdStage = (shape: PipelineShape, stage: string | undefined) => stage !== undefined && shape.promotionStages.includes(stage);

/** Everything read about one execution. */
export interface ExecutionInput {
  readonly summary: ExecutionSummaryView;
  /** Its release record; absent when it has none (or there is no table). */
  readonly record?: ReleaseRecordReading;
  /** Its action runs from ListActionExecutions; absent when its record covers it ({@link recordCovers}). */
  readonly actions?: readonly ActionRun[];
}

/** Whether a record alone tells all the metrics need of its execution: it is readable, over, and has its usage. */
export function recordCovers(reading: ReleaseRecordReading | undefined): boolean {
  return reading !== undefined && 'record' in reading && reading.record.endedAt !== undefined && reading.record.usage !== undefined;
}

/** One execution, as the metrics fold it. Instants are epoch milliseconds. */
export interface ExecutionFacts {
  readonly executionId: string;
  /** CodePipeline's status of the execution. */
  readonly status: string;
  /** Where it ended up, as far as is known now; `rolled-back` only when the record says so. */
  readonly outcome: ReleaseOutcome;
  readonly startedAt: number;
  /** A rollback execution: started by CodePipeline on a failed stage (`automated`) or by someone, and whether it restored the stage. */
  readonly rollback?: { readonly automated: boolean; readonly succeeded: boolean; readonly endedAt?: number };
  /** The release version, from the record. */
  readonly version?: string;
  /** The commit's time, from the record: CodePipeline's history does not have it. */
  readonly commitTime?: number;
  /** Its commit says it fixes something ({@link FIX_COMMIT}). */
  readonly fix: boolean;
  /** The promotion stage succeeded: its last bake passed. */
  readonly releasedAt?: number;
  /** It deployed to prod and failed (or was stopped) there: from the alarm that failed it when the record has one. */
  readonly prodFailedAt?: number;
  /** What stopped it, when a gate or an action failed it: a {@link GateKind}, else `<stage>/<action>`. */
  readonly stoppedBy?: GateKind | string;
  /** From the record: for each rejection caused by an alarm, the milliseconds from the alarm to the rejection. */
  readonly haltLatencies: readonly number[];
  readonly usage: ReleaseUsage;
  /** Whether its times come from a readable release record (else from CodePipeline's history alone). */
  readonly recorded: boolean;
  /** Why its record could not be used, when it has one. */
  readonly recordProblem?: string;
}

/**
 * A commit that fixes something: a conventional-commit `fix:`, `fix(scope):`, `hotfix:` or `revert:`, git's own
 * `Revert "…"`, or a first line starting with `hotfix`. What `metrics` counts as a fix-forward and as rework.
 */
export const FIX_COMMIT = /^(?:(?:fix|hotfix|revert)(?:\([^)]*\))?!?:|revert\b|hotfix\b)/i;

const FINISHED = new Set(['Succeeded', 'Failed', 'Stopped', 'Superseded', 'Cancelled']);
const STOPPED = new Set(['Stopped', 'Stopping', 'Cancelled']);

const time = (date: Date | undefined) => date?.getTime();
const parsed = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

/** ListActionExecutions' details as action runs. */
export function actionRunsOfHistory(details: readonly ActionExecutionView[]): ActionRun[] {
  return details.flatMap((d) =>
    d.startTime
      ? [
          {
            stage: d.stageName ?? '?',
            action: d.actionName ?? '?',
            category: d.input?.actionTypeId?.category ?? '?',
            provider: d.input?.actionTypeId?.provider ?? '?',
            status: d.status ?? '?',
            startedAt: d.startTime.getTime(),
            endedAt: d.status === 'InProgress' ? undefined : time(d.lastUpdateTime),
          },
        ]
      : [],
  );
}

/** Which gate an action is: the gate's approvals by the manifest, the guard by its name, the tests by their stage, the canary by its deploy. */
export function gateKindOf(stage: string, action: string, category: string, provider: string, shape: PipelineShape): GateKind | undefined {
  const owned = shape.gateActions.find((a) => a.stage === stage && a.action === action);
  const index = shape.stages.indexOf(stage);
  const promotion = shape.stages.indexOf(shape.promotionStages[0]);
  if (owned?.kind === 'entry-check') return 'entry-check';
  // Prod's first bake is the prod bake; the bakes of later waves are wave bakes.
  if (owned?.kind === 'bake') return stage === shape.promotionStages[0] ? 'prod-bake' : index > promotion ? 'wave-bake' : 'dev-bake';
  if (provider === 'CodeBuild' && guardedStackOf(action) !== undefined) return 'guard';
  // The stage after Source builds: `npm ci`, `npm test`, synth and the gate check.
  if (index === 1) return 'tests';
  // A CodeDeploy rollback on alarm fails the CloudFormation deployment that carries it.
  if (category === 'Deploy' && promotion >= 0 && index >= promotion) return 'canary';
  return undefined;
}

/** What a single source says of an execution's path; absent: that source does not know. */
interface Path {
  readonly releasedAt?: number;
  readonly failedInProdAt?: number;
  readonly stoppedBy?: GateKind | string;
}

/** Gates that stop a build before it deploys to their stage. */
const BEFORE_DEPLOY: readonly (GateKind | string | undefined)[] = ['entry-check', 'guard'];

/** The path by the action runs: the latest run of each action counts (a retried stage runs some again). */
function pathOfRuns(runs: readonly ActionRun[], shape: PipelineShape, summary: ExecutionSummaryView): Path {
  const latest = new Map<string, ActionRun>();
  for (const run of runs) {
    const key = `${run.stage}/${run.action}`;
    if ((latest.get(key)?.startedAt ?? -Infinity) <= run.startedAt) latest.set(key, run);
  }
  const runsNow = [...latest.values()];
  // Released when the last of prod's stages (the last wave) is through.
  const last = shape.promotionStages[shape.promotionStages.length - 1];
  const inProd = runsNow.filter((r) => inProdStage(shape, r.stage));
  const inLast = runsNow.filter((r) => r.stage === last);
  const failed = runsNow.filter((r) => r.status === 'Failed').sort((a, b) => (a.endedAt ?? Infinity) - (b.endedAt ?? Infinity))[0];
  const later = runsNow.some((r) => shape.stages.indexOf(r.stage) > shape.stages.indexOf(last));
  if (summary.executionType !== 'ROLLBACK') {
    if (runs.length === 0 && summary.status === 'Succeeded') return { releasedAt: time(summary.lastUpdateTime) };
    if (inLast.length > 0 && inProd.every((r) => r.status === 'Succeeded') && (summary.status === 'Succeeded' || later)) {
      return { releasedAt: Math.max(...inLast.map((r) => r.endedAt ?? 0)) };
    }
  }
  const stoppedBy = failed && (gateKindOf(failed.stage, failed.action, failed.category, failed.provider, shape) ?? `${failed.stage}/${failed.action}`);
  // Deployed to prod unless the only prod stage it entered stopped it at the door.
  const enteredProd = new Set(inProd.map((r) => r.stage));
  const deployed = inProd.length > 0 && !(enteredProd.size === 1 && failed?.stage === inProd[0].stage && BEFORE_DEPLOY.includes(stoppedBy));
  let failedInProdAt: number | undefined;
  if (deployed && inProdStage(shape, failed?.stage)) failedInProdAt = failed!.endedAt;
  else if (deployed && !failed && STOPPED.has(summary.status ?? '')) failedInProdAt = Math.max(...inProd.map((r) => r.endedAt ?? r.startedAt));
  return { failedInProdAt, stoppedBy };
}

/** The path by the release record: its stage times and its gates' verdicts. */
function pathOfRecord(record: ReleaseRecord, shape: PipelineShape): Path {
  const prod = record.stages[shape.promotionStages[0]];
  const stopping = [...record.gates].reverse().find((g) => g.verdict !== 'APPROVED');
  const released = record.releasedAt !== undefined;
  // A stage that failed with no gate's verdict on record is named by the stage.
  const failedStage = Object.entries(record.stages).find(([, times]) => times.failedAt !== undefined)?.[0];
  const stoppedBy = released ? undefined : (stopping?.kind ?? failedStage);
  const deployed = prod?.reachedAt !== undefined && !(stopping?.stage === shape.promotionStages[0] && BEFORE_DEPLOY.includes(stoppedBy));
  // The failure began when the alarm that failed it fired, if the gate recorded one.
  const alarms = record.gates.filter((g) => inProdStage(shape, g.stage) && g.verdict !== 'APPROVED' && g.alarmAt).map((g) => Date.parse(g.alarmAt!));
  // Failed in any of prod's stages (a wave), or stopped in prod (`stop --abort`): it deployed there and did not finish.
  const prodFailure = shape.promotionStages.map((stage) => parsed(record.stages[stage]?.failedAt)).find((t) => t !== undefined);
  const failedAt = prodFailure ?? (record.outcome === 'stopped' ? parsed(record.endedAt) : undefined);
  return {
    releasedAt: parsed(record.releasedAt),
    failedInProdAt: !released && deployed && failedAt !== undefined ? Math.min(failedAt, ...alarms) : undefined,
    stoppedBy,
  };
}

/** `record`'s values where it has them, `history`'s otherwise. */
function merged(history: Path, record: Path | undefined): Path {
  if (!record) return history;
  const known = Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
  return { ...history, ...known };
}

/**
 * What one action run uses (until `now` while it runs): its minutes, rounded up, as CodePipeline action minutes
 * unless it is an approval, as CodeBuild minutes when CodeBuild runs it, and as gate and bake minutes when it is one
 * of the gate's approvals. The recorder adds it to the record's `usage` as each action ends.
 */
export function actionRunUsage(run: ActionRun, shape: PipelineShape, now: number): ReleaseUsage {
  const minutes = Math.ceil(Math.max(0, (run.endedAt ?? now) - run.startedAt) / 60_000);
  const gate = shape.gateActions.find((a) => a.stage === run.stage && a.action === run.action);
  return {
    // CodePipeline pricing: every action type is billed but manual approval (and custom actions, which Tollgate has none of).
    actionMinutes: run.category === 'Approval' ? 0 : minutes,
    buildMinutes: run.provider === 'CodeBuild' ? { [TOLLGATE_FOOTPRINT.buildCompute]: minutes } : {},
    gateMinutes: gate ? minutes : 0,
    bakeMinutes: gate?.kind === 'bake' ? minutes : 0,
  };
}

/** A record's usage in the price table's terms: its builds ran on Tollgate's compute type. */
function recordedUsage(usage: RecordedUsage): ReleaseUsage {
  return { ...usage, buildMinutes: usage.buildMinutes > 0 ? { [TOLLGATE_FOOTPRINT.buildCompute]: usage.buildMinutes } : {} };
}

function outcomeOf(path: Path, status: string | undefined, record: ReleaseRecord | undefined): ReleaseOutcome {
  if (record && record.outcome !== 'in-progress') return record.outcome;
  if (path.releasedAt !== undefined) return 'released';
  if (status === 'Superseded') return 'superseded';
  if (STOPPED.has(status ?? '')) return 'stopped';
  if (status === 'Failed') return 'rejected';
  return 'in-progress';
}

/**
 * The facts of one execution at `now`: its record's where it has a readable one, CodePipeline's history's for the
 * rest. In-progress actions count until `now`.
 */
export function executionFacts(input: ExecutionInput, shape: PipelineShape, now: number): ExecutionFacts {
  const { summary } = input;
  const record = input.record && 'record' in input.record ? input.record.record : undefined;
  const path = merged(input.actions ? pathOfRuns(input.actions, shape, summary) : {}, record && pathOfRecord(record, shape));
  const startedAt = time(summary.startTime) ?? parsed(record?.startedAt) ?? now;
  const finished = FINISHED.has(summary.status ?? '');
  const message = parseRevisionSummary(summary.sourceRevisions?.[0]?.revisionSummary).message;
  const rollback =
    summary.executionType === 'ROLLBACK'
      ? {
          automated: summary.trigger?.triggerType === 'AutomatedRollback',
          succeeded: summary.status === 'Succeeded',
          endedAt: finished ? time(summary.lastUpdateTime) : undefined,
        }
      : undefined;
  const haltLatencies = (record?.gates ?? []).filter((g) => g.verdict === 'REJECTED' && g.alarmAt).map((g) => Math.max(0, Date.parse(g.at) - Date.parse(g.alarmAt!)));
  return {
    executionId: summary.pipelineExecutionId ?? record?.executionId ?? '?',
    status: summary.status ?? 'Unknown',
    outcome: outcomeOf(path, summary.status, record),
    startedAt,
    rollback,
    version: record?.version,
    commitTime: parsed(record?.commitTime),
    fix: FIX_COMMIT.test(message?.trimStart() ?? ''),
    releasedAt: rollback ? undefined : path.releasedAt,
    prodFailedAt: rollback ? undefined : path.failedInProdAt,
    stoppedBy: rollback || path.releasedAt !== undefined ? undefined : path.stoppedBy,
    haltLatencies,
    usage: input.actions
      ? input.actions.reduce((sum, run) => addUsage(sum, actionRunUsage(run, shape, now)), NO_USAGE)
      : record?.usage
        ? recordedUsage(record.usage)
        : NO_USAGE,
    recorded: record !== undefined,
    recordProblem: input.record && 'unreadable' in input.record ? input.record.unreadable : undefined,
  };
}
