import { execFileSync } from 'node:child_process';
import {
  CodePipelineClient,
  GetPipelineStateCommand,
  GetPipelineStateOutput,
  PipelineExecutionSummary,
  StageState,
  paginateListPipelineExecutions,
} from '@aws-sdk/client-codepipeline';
import { parseRevisionSummary } from '@tollgate/constructs/lib/domain/revision-summary';
import { PipelineConnection, connectAsOperator, withAwsErrors } from './aws';
import { CliContext, CliError, beforeAnyChange } from './context';
import { PipelineManifest, readPipelineManifest } from './pipeline-manifest';
import { PROJECT_ROOT } from './project';

/** How far back `rollback` and `status` look for the last prod release. */
const EXECUTION_HISTORY_LIMIT = 500;

/** The commit an execution carries. */
export interface Revision {
  readonly commitId?: string;
  readonly message?: string;
  readonly author?: string;
  readonly url?: string;
}

/** The author from the local clone, when the commit is there: GitHub connections do not report authors. */
function localAuthor(commitId: string | undefined): string | undefined {
  if (!commitId || !/^[0-9a-f]{7,40}$/.test(commitId)) return undefined;
  try {
    const author = execFileSync('git', ['show', '-s', '--format=%an <%ae>', commitId], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      encoding: 'utf8',
    }).trim();
    return author || undefined;
  } catch {
    return undefined;
  }
}

/** The commit of a source revision or artifact revision, its first line of message and its author. */
export function describeRevision(revision: { revisionId?: string; revisionSummary?: string; revisionUrl?: string } | undefined): Revision {
  if (!revision) return {};
  const { message, author } = parseRevisionSummary(revision.revisionSummary);
  return {
    commitId: revision.revisionId,
    message: message?.split('\n')[0],
    author: author ?? localAuthor(revision.revisionId),
    url: revision.revisionUrl,
  };
}

/** `abc1234 "first line" (author)`: a commit in one short string. */
export function formatRevision(revision: Revision): string {
  const parts = [revision.commitId ? revision.commitId.slice(0, 7) : 'unknown commit'];
  if (revision.message) parts.push(JSON.stringify(revision.message));
  if (revision.author) parts.push(`(${revision.author})`);
  return parts.join(' ');
}

export async function getPipelineState(client: CodePipelineClient, pipelineName: string): Promise<GetPipelineStateOutput> {
  return client.send(new GetPipelineStateCommand({ name: pipelineName }));
}

function findStage(state: GetPipelineStateOutput, stageName: string): StageState | undefined {
  return state.stageStates?.find((s) => s.stageName === stageName);
}

/** The operator's connection, the pipeline's manifest read through the operator role, and the pipeline's state. */
export interface OperatorConnection extends PipelineConnection {
  readonly manifest: PipelineManifest;
  /** The pipeline's state when the manifest was read. */
  readonly state: GetPipelineStateOutput;
}

/**
 * How every command that changes the promotion stage starts: connect through the operator role, read the
 * pipeline's state (an unknown pipeline fails here, before anything else), then its manifest. Failures are the
 * caller's to turn into "nothing was changed".
 */
export async function connectWithManifest(ctx: CliContext): Promise<OperatorConnection> {
  const operator = await connectAsOperator();
  const partition = operator.identity.arn.split(':')[1] || 'aws';
  return withAwsErrors(operator.scope, async () => {
    const state = await getPipelineState(operator.aws.codePipeline, operator.pipelineName);
    const manifest = await readPipelineManifest(operator.aws.ssm, operator.config, ctx.err, partition);
    return { ...operator, manifest, state };
  });
}

/**
 * How `stop` and `resume` begin: connect through the operator role, read the manifest, refuse an unknown pipeline
 * or one without the manifest's promotion stage before anything is changed (exit 2, "nothing was changed"), and
 * say what is about to change, where and as whom.
 */
export async function beginProdChange(ctx: CliContext, doing: 'Stopping' | 'Resuming', reason: string): Promise<OperatorConnection> {
  const connection = await beforeAnyChange(async () => {
    const operator = await connectWithManifest(ctx);
    for (const stage of operator.manifest.promotionStages) {
      if (!findStage(operator.state, stage)) throw new CliError(`pipeline ${operator.pipelineName} has no stage named ${stage}`);
    }
    return operator;
  });
  const { pipelineName, scope, identity, manifest } = connection;
  ctx.out(`${doing} releases to ${manifest.promotionStages.join(', ')} of pipeline ${pipelineName} (account ${scope.account}, ${scope.region}) as ${identity.arn}`);
  ctx.out(`  reason: ${reason}`);
  return connection;
}

/** A manual approval waiting for its answer. */
export interface PendingApproval {
  readonly stageName: string;
  readonly actionName: string;
  readonly token: string;
  readonly executionId?: string;
  /** When it started waiting. */
  readonly since?: Date;
  /** What was last written on it. */
  readonly summary?: string;
}

/** Every approval that is waiting: only manual approvals carry a token while in progress. */
export function pendingApprovals(state: GetPipelineStateOutput): PendingApproval[] {
  return (state.stageStates ?? []).flatMap((stage) =>
    (stage.actionStates ?? [])
      .filter((a) => a.latestExecution?.status === 'InProgress' && a.latestExecution.token)
      .map((a) => ({
        stageName: stage.stageName ?? '?',
        actionName: a.actionName ?? '?',
        token: a.latestExecution!.token!,
        executionId: stage.latestExecution?.pipelineExecutionId,
        since: a.latestExecution!.lastStatusChange,
        summary: a.latestExecution!.summary,
      })),
  );
}

/** Recent executions, newest first, up to {@link EXECUTION_HISTORY_LIMIT}. */
export async function recentExecutions(client: CodePipelineClient, pipelineName: string, limit = EXECUTION_HISTORY_LIMIT): Promise<PipelineExecutionSummary[]> {
  const executions: PipelineExecutionSummary[] = [];
  for await (const page of paginateListPipelineExecutions({ client, pageSize: 100 }, { pipelineName })) {
    executions.push(...(page.pipelineExecutionSummaries ?? []));
    if (executions.length >= limit) break;
  }
  return executions.slice(0, limit);
}

const isStandard = (e: PipelineExecutionSummary) => e.executionType !== 'ROLLBACK';

/**
 * The newest execution that went all the way through the pipeline (and so through its promotion stage) and that RollbackStage can target: rollback executions cannot be targets.
 */
export function lastSuccessfulRelease(executions: PipelineExecutionSummary[]): PipelineExecutionSummary | undefined {
  return executions.find((e) => e.status === 'Succeeded' && isStandard(e));
}

/** What the promotion stage (Prod) runs now, as far as the pipeline knows. */
export interface ProdPosition {
  /** The execution Prod's stage ran last (a rollback execution after a rollback). */
  readonly latestExecutionId: string;
  readonly latestStatus: string;
  /** The standard execution whose artifacts that is: for a rollback, the execution it restored. */
  readonly releaseExecutionId: string | undefined;
  /** Set when the latest Prod run was a rollback. */
  readonly rollbackExecutionId?: string;
}

export function prodPosition(state: GetPipelineStateOutput, executions: PipelineExecutionSummary[], stageName: string): ProdPosition | undefined {
  const latest = findStage(state, stageName)?.latestExecution;
  if (!latest?.pipelineExecutionId) return undefined;
  const summary = executions.find((e) => e.pipelineExecutionId === latest.pipelineExecutionId);
  const isRollback = latest.type === 'ROLLBACK' || summary?.executionType === 'ROLLBACK';
  return {
    latestExecutionId: latest.pipelineExecutionId,
    latestStatus: latest.status ?? 'Unknown',
    releaseExecutionId: isRollback ? summary?.rollbackMetadata?.rollbackTargetPipelineExecutionId : latest.pipelineExecutionId,
    rollbackExecutionId: isRollback ? latest.pipelineExecutionId : undefined,
  };
}

/** Where `rollback` would take Prod, or why it cannot. */
export type RollbackTarget =
  | { readonly kind: 'target'; readonly position: ProdPosition; readonly target: PipelineExecutionSummary }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * The release before the one in Prod now: the newest successful standard execution older than the execution
 * whose artifacts Prod runs (or tried to run, when its last deployment failed). Rolling back "to the last
 * successful release" when that release is the one in Prod would change nothing.
 */
export function rollbackTarget(state: GetPipelineStateOutput, executions: PipelineExecutionSummary[], stageName: string): RollbackTarget {
  const position = prodPosition(state, executions, stageName);
  if (!position) return { kind: 'none', reason: `${stageName} has never run: there is nothing to roll back to` };
  if (!position.releaseExecutionId) {
    return { kind: 'none', reason: `${stageName}'s latest run ${position.latestExecutionId} is a rollback whose target is not in the last ${executions.length} executions` };
  }
  const index = executions.findIndex((e) => e.pipelineExecutionId === position.releaseExecutionId);
  if (index < 0) {
    return { kind: 'none', reason: `execution ${position.releaseExecutionId} (in ${stageName}) is not among the last ${executions.length} executions` };
  }
  const target = lastSuccessfulRelease(executions.slice(index + 1));
  if (!target) {
    return { kind: 'none', reason: `no successful release older than ${position.releaseExecutionId} among the last ${executions.length} executions` };
  }
  return { kind: 'target', position, target };
}
