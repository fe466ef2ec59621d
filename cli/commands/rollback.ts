import { GetPipelineExecutionCommand, RollbackStageCommand } from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { connectAsOperator, withAwsErrors } from '../aws';
import { confirmChange } from '../confirm-change';
import { CliContext, CliError } from '../context';
import { parseReason } from '../options';
import { PROD_STAGE, describeRevision, formatRevision, getPipelineState, recentExecutions, rollbackTarget } from '../pipeline';

interface RollbackOptions {
  readonly reason: string;
  readonly yes?: boolean;
}

async function rollback(ctx: CliContext, options: RollbackOptions): Promise<void> {
  const { aws, pipelineName, scope, identity } = await connectAsOperator();

  await withAwsErrors(scope, async () => {
    const state = await getPipelineState(aws.codePipeline, pipelineName);
    const executions = await recentExecutions(aws.codePipeline, pipelineName);
    const found = rollbackTarget(state, executions);
    if (found.kind === 'none') throw new CliError(`cannot roll back ${PROD_STAGE}: ${found.reason}; nothing was changed`, 1);

    const { position, target } = found;
    const current = executions.find((e) => e.pipelineExecutionId === position.releaseExecutionId);
    const detail = (await aws.codePipeline.send(new GetPipelineExecutionCommand({ pipelineName, pipelineExecutionId: target.pipelineExecutionId }))).pipelineExecution;
    ctx.out(`${PROD_STAGE} of pipeline ${pipelineName} (account ${scope.account}, ${scope.region}):`);
    ctx.out(
      `  now:          ${position.latestStatus} ${position.rollbackExecutionId ? `rollback ${position.rollbackExecutionId} to ` : ''}execution ${position.releaseExecutionId} ${formatRevision(describeRevision(current?.sourceRevisions?.[0]))}`,
    );
    ctx.out(
      `  roll back to: execution ${target.pipelineExecutionId} ${formatRevision(describeRevision(detail?.artifactRevisions?.[0] ?? target.sourceRevisions?.[0]))}, released ${target.lastUpdateTime?.toISOString() ?? 'at an unknown time'}`,
    );
    // RollbackStage only targets executions of the pipeline's current structure version.
    if (detail?.pipelineVersion !== undefined && state.pipelineVersion !== undefined && detail.pipelineVersion !== state.pipelineVersion) {
      throw new CliError(
        `cannot roll back: execution ${target.pipelineExecutionId} ran on pipeline version ${detail.pipelineVersion}, the pipeline is now at version ${state.pipelineVersion} and RollbackStage only targets the current version; release a revert commit instead. Nothing was changed`,
        1,
      );
    }

    if (!(await confirmChange(ctx, options.yes, `Roll ${PROD_STAGE} back to execution ${target.pipelineExecutionId}?`, 'refusing to roll back'))) return;
    const started = await aws.codePipeline.send(
      new RollbackStageCommand({ pipelineName, stageName: PROD_STAGE, targetPipelineExecutionId: target.pipelineExecutionId }),
    );
    ctx.out(`Rollback started by ${identity.arn}: execution ${started.pipelineExecutionId} (reason: ${options.reason}).`);
    ctx.out(`Follow it with \`tollgate status\`. To keep new builds out of ${PROD_STAGE} meanwhile: \`tollgate stop --reason "..."\`.`);
  });
}

export function registerRollbackCommand(program: Command, ctx: CliContext): void {
  program
    .command('rollback')
    .description(`Roll ${PROD_STAGE} back to the release before the one it runs now (RollbackStage, through the operator role), after showing both and asking`)
    .requiredOption('--reason <text>', 'why (printed with your identity)', parseReason)
    .option('--yes', 'do not ask for confirmation (required when there is no terminal)')
    .action((options: RollbackOptions) => rollback(ctx, options));
}
