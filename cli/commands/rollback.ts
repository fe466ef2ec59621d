import { CodePipelineClient, GetPipelineExecutionCommand, RollbackStageCommand } from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { withAwsErrors } from '../aws';
import { confirmChange } from '../confirm-change';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { CliContext, CliError, beforeAnyChange } from '../context';
import { parseReason, parseWholeNumber } from '../options';
import { startProgress } from '../progress';
import { connectWithManifest, describeRevision, formatRevision, recentExecutions, rollbackTarget } from '../pipeline';
import type { PipelineManifest } from '../pipeline-manifest';

interface RollbackOptions {
  readonly reason: string;
  /** Which prod wave, 1-based; required when prod has more than one. */
  readonly wave?: number;
  readonly yes?: boolean;
  readonly wait?: boolean;
}

/** How often `--wait` asks CodePipeline about the rollback. */
const POLL_MS = 10_000;

/** Waits until the rollback execution has ended, with progress on standard error; false when it did not succeed. */
async function waitForRollback(ctx: CliContext, codePipeline: CodePipelineClient, pipelineName: string, stage: string, executionId: string): Promise<boolean> {
  const progress = startProgress(ctx, `rolling back ${stage} (execution ${executionId})`);
  for (;;) {
    const status = (await codePipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: executionId }))).pipelineExecution?.status;
    if (status !== 'InProgress' && status !== 'Stopping') {
      if (status === 'Succeeded') progress.done(`rolled back ${stage}`);
      else progress.failed(`the rollback of ${stage} ended ${status ?? 'in an unknown state'}`);
      return status === 'Succeeded';
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function rollback(ctx: CliContext, options: RollbackOptions): Promise<void> {
  const { aws, pipelineName, scope, identity, position, target, manifest } = await beforeAnyChange(async () => {
    const connection = await connectWithManifest(ctx);
    const { aws: clients, pipelineName: name, scope: where } = connection;
    const stage = waveStage(connection.manifest, options.wave);
    const { state } = connection;
    return withAwsErrors(where, async () => {
      const executions = await recentExecutions(clients.codePipeline, name);
      const found = rollbackTarget(state, executions, stage);
      if (found.kind === 'none') throw new CliError(`cannot roll back ${stage}: ${found.reason}`);
      const current = executions.find((e) => e.pipelineExecutionId === found.position.releaseExecutionId);
      const detail = (await clients.codePipeline.send(new GetPipelineExecutionCommand({ pipelineName: name, pipelineExecutionId: found.target.pipelineExecutionId }))).pipelineExecution;
      const releasedAt = found.target.lastUpdateTime;
      ctx.out(`${stage} of pipeline ${name} (account ${where.account}, ${where.region}):`);
      ctx.out(
        `  now:          ${found.position.latestStatus} ${found.position.rollbackExecutionId ? `rollback ${found.position.rollbackExecutionId} to ` : ''}execution ${found.position.releaseExecutionId} ${formatRevision(describeRevision(current?.sourceRevisions?.[0]))}`,
      );
      ctx.out(
        `  roll back to: execution ${found.target.pipelineExecutionId} ${formatRevision(describeRevision(detail?.artifactRevisions?.[0] ?? found.target.sourceRevisions?.[0]))}, released ${releasedAt ? isoSeconds(releasedAt) : 'at an unknown time'}`,
      );
      // RollbackStage only targets executions of the pipeline's current structure version.
      if (detail?.pipelineVersion !== undefined && state.pipelineVersion !== undefined && detail.pipelineVersion !== state.pipelineVersion) {
        throw new CliError(
          `cannot roll back: execution ${found.target.pipelineExecutionId} ran on pipeline version ${detail.pipelineVersion}, the pipeline is now at version ${state.pipelineVersion} and RollbackStage only targets the current version; release a revert commit instead`,
        );
      }
      return { ...connection, position: found.position, target: found.target };
    });
  });

  const stage = waveStage(manifest, options.wave);
  if (!(await confirmChange(ctx, options.yes, `Roll ${stage} back to execution ${target.pipelineExecutionId}?`, 'refusing to roll back'))) return;
  const started = await withAwsErrors(scope, () =>
    aws.codePipeline.send(new RollbackStageCommand({ pipelineName, stageName: stage, targetPipelineExecutionId: target.pipelineExecutionId })),
  );
  const result = {
    rollbackExecutionId: started.pipelineExecutionId,
    fromExecutionId: position.releaseExecutionId,
    toExecutionId: target.pipelineExecutionId,
    by: identity.arn,
    reason: options.reason,
  };
  ctx.report(result, () => {
    ctx.out(`Rollback started by ${identity.arn}: execution ${started.pipelineExecutionId} (reason: ${options.reason}).`);
    if (!options.wait) ctx.out(`Follow it with \`tollgate status\`. To keep new builds out of ${stage} meanwhile: \`tollgate stop --reason "..."\`.`);
  });
  if (options.wait && !(await withAwsErrors(scope, () => waitForRollback(ctx, aws.codePipeline, pipelineName, stage, started.pipelineExecutionId!)))) {
    ctx.fail(`rollback execution ${started.pipelineExecutionId} did not succeed; \`tollgate status\` says where ${stage} stands`);
  }
}

/** The stage `rollback` acts on: prod's only stage, or wave `wave` of several (which must then be named). */
export function waveStage(manifest: PipelineManifest, wave: number | undefined): string {
  const stages = manifest.promotionStages;
  if (wave === undefined) {
    if (stages.length === 1) return stages[0];
    throw new CliError(`prod is released in ${stages.length} waves (${stages.join(', ')}): say which to roll back with --wave 1..${stages.length}`);
  }
  if (wave > stages.length) throw new CliError(`--wave must be a wave of prod from 1 to ${stages.length}, got ${wave}`);
  return stages[wave - 1];
}

export function registerRollbackCommand(program: Command, ctx: CliContext): void {
  program
    .command('rollback')
    .description('Roll the promotion stage (Prod, or a wave of it; the pipeline manifest names them) back to the release before the one it runs now (RollbackStage, through the operator role), after showing both and asking')
    .requiredOption('--reason <text>', 'why (printed with your identity)', parseReason)
    .option('--yes', 'do not ask for confirmation (required when there is no terminal)')
    .option('--wait', 'wait until the rollback has ended, with progress on standard error; exit 1 unless it succeeded')
    .option('--wave <n>', "with prod in waves, the wave to roll back (1 is the first); only that wave's stage rolls back", parseWholeNumber('--wave', undefined, 1, 20))
    .action((options: RollbackOptions) => rollback(ctx, options));
}
