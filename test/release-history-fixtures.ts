/**
 * Crafted pipeline histories for the release metrics: executions of the default app's pipeline as
 * ListPipelineExecutions summarizes them and ListActionExecutions details their actions (the SDK's shapes), and
 * their release records. Every action takes the minutes {@link STANDARD_PATH} gives it, one after the other.
 */
import type { ActionExecutionDetail, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import { marshall } from '@aws-sdk/util-dynamodb';
import { NO_USAGE, addUsage } from '@tollgate/constructs/lib/domain/release-cost';
import { ExecutionInput, PipelineShape, actionRunUsage, gateKindOf, actionRunsOfHistory, recordCovers } from '@tollgate/constructs/lib/domain/release-facts';
import { FakeAwsEndpoint, json, jsonError, toWire } from './fake-aws-endpoint';
import { MANIFEST } from './manifest-fixture';
import { RELEASE_RECORD_SCHEMA_VERSION, ReleaseRecord, readReleaseRecord } from '@tollgate/constructs/lib/domain/release-record';

/** The default app's pipeline as the metrics see it: the manifest's stages, promotion stage and gate approvals. */
export const SHAPE: PipelineShape = MANIFEST;

/** stage, action, category, provider, minutes. */
export type Step = readonly [string, string, string, string, number];

/** A release's path through the default pipeline, as it runs when nothing holds it. */
export const STANDARD_PATH: readonly Step[] = [
  ['Source', 'example-org_tollgate', 'Source', 'CodeStarSourceConnection', 1],
  ['Build', 'Build', 'Build', 'CodeBuild', 9],
  ['UpdatePipeline', 'SelfMutate', 'Build', 'CodeBuild', 3],
  ['Assets', 'FileAssets', 'Build', 'CodeBuild', 2],
  ['Sandbox', 'Pipeline-Service.Prepare', 'Deploy', 'CloudFormation', 1],
  ['Sandbox', 'Pipeline-Service.ReplacementGuard-Pipeline-Service', 'Build', 'CodeBuild', 1],
  ['Sandbox', 'Pipeline-Service.Deploy', 'Deploy', 'CloudFormation', 4],
  ['Sandbox', 'IntegrationTests', 'Build', 'CodeBuild', 5],
  ['Dev', 'Prepare', 'Deploy', 'CloudFormation', 1],
  ['Dev', 'ReplacementGuard-Dev-Service', 'Build', 'CodeBuild', 1],
  ['Dev', 'Deploy', 'Deploy', 'CloudFormation', 4],
  ['Dev', 'Bake', 'Approval', 'Manual', 63],
  ['Prod', 'EntryCheck', 'Approval', 'Manual', 1],
  ['Prod', 'Prepare', 'Deploy', 'CloudFormation', 1],
  ['Prod', 'ReplacementGuard-Prod-Service', 'Build', 'CodeBuild', 1],
  ['Prod', 'Deploy', 'Deploy', 'CloudFormation', 14],
  ['Prod', 'ProdBake', 'Approval', 'Manual', 33],
];

/** The minutes of every step of {@link STANDARD_PATH} for which `which` holds. */
export function pathMinutes(which: (step: Step) => boolean, path: readonly Step[] = STANDARD_PATH): number {
  return path.filter(which).reduce((sum, s) => sum + s[4], 0);
}

/** A rollback's path: the promotion stage again, with the artifacts of the release it restores. */
export const ROLLBACK_PATH: readonly Step[] = [
  ['Prod', 'Prepare', 'Deploy', 'CloudFormation', 1],
  ['Prod', 'Deploy', 'Deploy', 'CloudFormation', 9],
];

export interface ExecutionOptions {
  /** The first line of the commit message. */
  readonly message?: string;
  /** Extra minutes the build waits in the dev bake's approval (a closed calendar holds it there). */
  readonly holdMinutes?: number;
  /** `Stage/Action` that fails; the steps after it do not run and the execution fails. */
  readonly failAt?: string;
  /** `Stage/Action` the execution did not reach, ending with `status` (Superseded, Stopped, InProgress). */
  readonly endBefore?: string;
  readonly status?: PipelineExecutionSummary['status'];
  /** A rollback execution instead, started by CodePipeline (automated) or by someone. */
  readonly rollback?: 'AutomatedRollback' | 'ManualRollback';
  readonly path?: readonly Step[];
}

/** An execution as the history has it: its summary and its action details. */
export interface CraftedExecution {
  readonly summary: PipelineExecutionSummary;
  readonly details: ActionExecutionDetail[];
}

/** A CodePipeline execution ID from a number. */
export function executionId(n: number): string {
  return `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Execution `n`, started at `start` (epoch ms), along {@link STANDARD_PATH} unless told otherwise. */
export function craftExecution(n: number, start: number, options: ExecutionOptions = {}): CraftedExecution {
  const id = executionId(n);
  const path = options.path ?? (options.rollback ? ROLLBACK_PATH : STANDARD_PATH);
  const details: ActionExecutionDetail[] = [];
  let at = start;
  let status: PipelineExecutionSummary['status'] = 'Succeeded';
  for (const [stage, action, category, provider, minutes] of path) {
    const key = `${stage}/${action}`;
    if (key === options.endBefore) {
      status = options.status ?? 'Superseded';
      break;
    }
    const failed = key === options.failAt;
    const took = minutes + (key === 'Dev/Bake' ? (options.holdMinutes ?? 0) : 0);
    details.push({
      pipelineExecutionId: id,
      actionExecutionId: `${id}-${details.length}`,
      stageName: stage,
      actionName: action,
      startTime: new Date(at),
      lastUpdateTime: new Date(at + took * 60_000),
      status: failed ? 'Failed' : 'Succeeded',
      input: { actionTypeId: { category: category as 'Build', owner: 'AWS', provider, version: '1' }, configuration: {} },
    });
    at += took * 60_000;
    if (failed) {
      status = 'Failed';
      break;
    }
  }
  return {
    summary: {
      pipelineExecutionId: id,
      status,
      startTime: new Date(start),
      lastUpdateTime: new Date(at),
      executionType: options.rollback ? 'ROLLBACK' : 'STANDARD',
      trigger: { triggerType: options.rollback ?? 'WebhookV2' },
      sourceRevisions: [
        {
          actionName: 'Source',
          revisionId: n.toString(16).padStart(40, '0'),
          revisionSummary: JSON.stringify({ ProviderType: 'GitHub', CommitMessage: `${options.message ?? `Change ${n}`}\n\nBody` }),
        },
      ],
    },
    details: newestFirst(details),
  };
}

/** ListActionExecutions answers newest first. */
function newestFirst(details: ActionExecutionDetail[]): ActionExecutionDetail[] {
  return [...details].sort((a, b) => b.startTime!.getTime() - a.startTime!.getTime());
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The release record the recorder would have written for `execution`, committed `commitMinutesBefore` its start. */
export function recordOf(execution: CraftedExecution, commitMinutesBefore: number, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
  const { summary, details } = execution;
  const stages: ReleaseRecord['stages'] = {};
  for (const d of [...details].reverse()) {
    const stage = (stages[d.stageName!] ??= { reachedAt: iso(d.startTime!.getTime()) });
    if (d.status === 'Failed') stage.failedAt = iso(d.lastUpdateTime!.getTime());
  }
  const prodBake = details.find((d) => d.stageName === 'Prod' && d.actionName === 'ProdBake' && d.status === 'Succeeded');
  // What the recorder sums as each action ends.
  const used = actionRunsOfHistory(details).reduce((sum, run) => addUsage(sum, actionRunUsage(run, SHAPE, run.endedAt ?? run.startedAt)), NO_USAGE);
  if (prodBake) stages.Prod.succeededAt = iso(prodBake.lastUpdateTime!.getTime());
  return {
    schemaVersion: RELEASE_RECORD_SCHEMA_VERSION,
    pipelineName: 'Tollgate',
    executionId: summary.pipelineExecutionId!,
    version: `v1.4.${parseInt(summary.pipelineExecutionId!.slice(-12), 16)}`,
    commitId: summary.sourceRevisions![0].revisionId,
    commitTime: iso(summary.startTime!.getTime() - commitMinutesBefore * 60_000),
    startedAt: iso(summary.startTime!.getTime()),
    executionType: summary.executionType as 'STANDARD',
    stages,
    // The verdict of the gate that stopped it, as the recorder writes it: an approval rejected, another action failed.
    gates: details
      .filter((d) => d.status === 'Failed')
      .flatMap((d) => {
        const kind = gateKindOf(d.stageName!, d.actionName!, d.input!.actionTypeId!.category!, d.input!.actionTypeId!.provider!, SHAPE);
        const verdict = d.input!.actionTypeId!.category === 'Approval' ? ('REJECTED' as const) : ('FAILED' as const);
        return kind ? [{ stage: d.stageName!, action: d.actionName!, kind, verdict, at: iso(d.lastUpdateTime!.getTime()) }] : [];
      }),
    usage: {
      actionMinutes: used.actionMinutes,
      buildMinutes: Object.values(used.buildMinutes).reduce((a, b) => a + b, 0),
      gateMinutes: used.gateMinutes,
      bakeMinutes: used.bakeMinutes,
    },
    outcome: prodBake ? 'released' : summary.status === 'Failed' ? 'rejected' : 'in-progress',
    releasedAt: prodBake && iso(prodBake.lastUpdateTime!.getTime()),
    endedAt: summary.status === 'InProgress' ? undefined : iso(summary.lastUpdateTime!.getTime()),
    ...extra,
  };
}

/** What the reader hands the metrics for `execution`: its record read as the reader reads an item, and its action history unless the record covers it. */
export function inputOf(execution: CraftedExecution, item?: unknown): ExecutionInput {
  const reading = item === undefined ? undefined : readReleaseRecord(item);
  return { summary: execution.summary, record: reading, actions: recordCovers(reading) ? undefined : actionRunsOfHistory(execution.details) };
}

/**
 * Execution `i` of a long history ending at `end` (0 the newest), one started every `spacingMinutes`, computed
 * on demand so that neither a test nor a benchmark holds the history: of every ten, one superseded, one rejected in
 * its dev bake, one by its tests, one by its prod bake, the rest released (every seventh a fix); every fiftieth
 * execution a rollback by hand instead.
 */
export function historyExecution(i: number, end: number, spacingMinutes: number): CraftedExecution {
  const start = end - (i + 1) * spacingMinutes * 60_000;
  if (i % 50 === 25) return craftExecution(i, start, { rollback: 'ManualRollback' });
  switch (i % 10) {
    case 0:
      return craftExecution(i, start, { endBefore: 'Dev/Prepare', status: 'Superseded' });
    case 1:
      return craftExecution(i, start, { failAt: 'Dev/Bake' });
    case 2:
      return craftExecution(i, start, { failAt: 'Build/Build' });
    case 3:
      return craftExecution(i, start, { failAt: 'Prod/ProdBake' });
    default:
      return craftExecution(i, start, { message: i % 7 === 0 ? `fix: change ${i}` : undefined });
  }
}

export interface ServedHistory {
  /** Executions in the history, newest first. */
  readonly count: number;
  /** When the newest started + its spacing. */
  readonly end: number;
  readonly spacingMinutes: number;
  /** Which executions have a release record; absent: the table does not exist. */
  readonly recorded?: (i: number) => boolean;
}

/** Execution `i`'s record as the recorder writes it: committed 30 minutes before its start. */
export const historyRecord = (execution: CraftedExecution): ReleaseRecord => recordOf(execution, 30);

const indexOf = (id: string) => parseInt(id.slice(-12), 16);

/**
 * Serves `history` on `endpoint`, before any other answer, as CodePipeline and DynamoDB would: ListPipelineExecutions
 * newest first, 100 a page; ListActionExecutions of one execution; BatchGetItem of the release record table
 * (ResourceNotFoundException without one). Each execution is made when first asked for, or all of them before the
 * first answer with `precompute` (a benchmark then measures the command, not the fake).
 */
export function serveReleaseHistory(endpoint: FakeAwsEndpoint, history: ServedHistory, precompute = false): FakeAwsEndpoint {
  const made = new Map<number, { readonly execution: CraftedExecution; item?: Record<string, unknown> }>();
  const at = (i: number) => {
    if (!made.has(i)) made.set(i, { execution: historyExecution(i, history.end, history.spacingMinutes) });
    return made.get(i)!;
  };
  const itemOf = (i: number) => (at(i).item ??= marshall(historyRecord(at(i).execution), { removeUndefinedValues: true }));
  for (let i = 0; precompute && i < history.count; i++) if (history.recorded?.(i)) itemOf(i);
  const table = 'Tollgate-ReleaseRecord';
  return endpoint
    .first('codepipeline:ListPipelineExecutions', (r) => {
      const from = Number(r.input.nextToken ?? 0);
      const to = Math.min(history.count, from + Number(r.input.maxResults ?? 100));
      const summaries = Array.from({ length: to - from }, (_, k) => at(from + k).execution.summary);
      return json(toWire({ pipelineExecutionSummaries: summaries, nextToken: to < history.count ? String(to) : undefined }));
    })
    .first('codepipeline:ListActionExecutions', (r) => {
      const id = String((r.input.filter as { pipelineExecutionId?: string } | undefined)?.pipelineExecutionId);
      return json(toWire({ actionExecutionDetails: at(indexOf(id)).execution.details }));
    })
    .first('dynamodb:BatchGetItem', (r) => {
      const recorded = history.recorded;
      if (!recorded) return jsonError(400, 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', 'Requested resource not found');
      const keys = (r.input.RequestItems as Record<string, { Keys: { executionId: { S: string } }[] }>)[table].Keys;
      return json({ Responses: { [table]: keys.map((k) => indexOf(k.executionId.S)).filter(recorded).map(itemOf) }, UnprocessedKeys: {} });
    });
}
