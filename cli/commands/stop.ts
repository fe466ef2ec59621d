import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  GetPipelineStateOutput,
  PutApprovalResultCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { haltParameterName } from '../../lambdas/shared/pipeline-controls';
import { TOPIC_ARN_HELP, announceProdChange, givenTopicArn, topicArn } from '../announce';
import { CallerIdentity, describeError } from '../aws';
import { CliContext } from '../context';
import { writeHalt } from '../control-parameters';
import { parseReason } from '../options';
import { PROD_STAGE, beginProdChange, getPipelineState, isProdBake, pendingApprovals, recentExecutions } from '../pipeline';
import { Step, runSteps } from '../steps';

interface StopOptions {
  readonly reason: string;
  readonly abort?: boolean;
  readonly topicArn?: string;
}

/** The name part of an identity ARN (`.../OnCall/alice` → `alice`), for texts that must stay short. */
function shortIdentity(arn: string): string {
  return arn.split('/').pop() || arn;
}

/** DisableStageTransition accepts only `[a-zA-Z0-9!@ ().*?-]`, 1-300 characters. */
export function transitionReason(identity: CallerIdentity, reason: string): string {
  return `tollgate stop by ${shortIdentity(identity.arn)} - ${reason}`
    .replace(/[^a-zA-Z0-9!@ ().*?-]+/g, ' ')
    .replace(/ +/g, ' ')
    .trim()
    .slice(0, 300);
}

const ALREADY_DECIDED = new Set(['ApprovalAlreadyCompletedException', 'InvalidApprovalTokenException']);
const ALREADY_STOPPED = new Set(['DuplicatedStopRequestException', 'PipelineExecutionNotStoppableException']);

/**
 * Rejects every approval that is waiting: the dev bake, the prod bake, and anything else that would let a build
 * through. A rejected prod bake fails Prod, whose onFailure rolls it back to the last successful release.
 */
async function rejectPendingApprovals(client: CodePipelineClient, pipelineName: string, summary: string): Promise<string[]> {
  // Read the state again: an approval may have started since the command began.
  const pending = pendingApprovals(await getPipelineState(client, pipelineName));
  if (pending.length === 0) return ['none pending'];
  const lines: string[] = [];
  for (const approval of pending) {
    const name = `${approval.stageName}/${approval.actionName}`;
    try {
      await client.send(
        new PutApprovalResultCommand({
          pipelineName,
          stageName: approval.stageName,
          actionName: approval.actionName,
          token: approval.token,
          result: { status: 'Rejected', summary },
        }),
      );
      lines.push(
        isProdBake(approval.stageName, approval.actionName)
          ? `rejected ${name}, the prod bake: ${PROD_STAGE} fails and rolls back to the last successful release`
          : `rejected ${name}`,
      );
    } catch (err) {
      if (!ALREADY_DECIDED.has((err as Error).name)) throw err;
      lines.push(`${name} was already decided`);
    }
  }
  return lines;
}

/** StopPipelineExecution takes a reason of at most 200 characters, PutApprovalResult a summary of at most 512. */
const STOP_REASON_MAX = 200;
const APPROVAL_SUMMARY_MAX = 512;

/**
 * What `stop` leaves running: every deploy action in progress (not an approval, which `stop` rejects), by stage,
 * action, execution and since when, e.g. `Prod/Deploy exec-7 since 10:41Z`.
 */
export function stillDeploying(state: GetPipelineStateOutput): string[] {
  return (state.stageStates ?? []).flatMap((stage) =>
    (stage.actionStates ?? [])
      .filter((a) => a.latestExecution?.status === 'InProgress' && !a.latestExecution.token)
      .map((a) => {
        const since = a.latestExecution?.lastStatusChange;
        const when = since ? ` since ${since.toISOString().slice(11, 16)}Z` : '';
        return `${stage.stageName}/${a.actionName} ${stage.latestExecution?.pipelineExecutionId ?? 'unknown execution'}${when}`;
      }),
  );
}

async function abortInFlight(client: CodePipelineClient, pipelineName: string, reason: string): Promise<string[]> {
  const inFlight = (await recentExecutions(client, pipelineName, 100)).filter((e) => e.status === 'InProgress');
  if (inFlight.length === 0) return ['none in flight'];
  const lines: string[] = [];
  for (const execution of inFlight) {
    try {
      await client.send(
        new StopPipelineExecutionCommand({ pipelineName, pipelineExecutionId: execution.pipelineExecutionId, abandon: true, reason: reason.slice(0, STOP_REASON_MAX) }),
      );
      lines.push(`stopped and abandoned ${execution.pipelineExecutionId}`);
    } catch (err) {
      if (!ALREADY_STOPPED.has((err as Error).name)) throw err;
      lines.push(`${execution.pipelineExecutionId} was already stopping or finished`);
    }
  }
  return lines;
}

/** Says what `stop` without `--abort` leaves deploying; a failed read says so and changes nothing. */
async function reportStillDeploying(ctx: CliContext, client: CodePipelineClient, pipelineName: string): Promise<void> {
  try {
    const deploying = stillDeploying(await getPipelineState(client, pipelineName));
    if (deploying.length > 0) ctx.out(`still deploying (stop does not interrupt it; use --abort): ${deploying.join(', ')}`);
  } catch (err) {
    ctx.out(`could not read what is still deploying (${describeError(err)}): \`tollgate status\` shows it`);
  }
}

async function stop(ctx: CliContext, options: StopOptions): Promise<void> {
  const given = givenTopicArn(options.topicArn);
  const { config, aws, pipelineName, identity } = await beginProdChange(ctx, 'Stopping', options.reason);
  const at = ctx.now().toISOString();
  const steps: Step[] = [
    {
      name: `set halt flag ${haltParameterName(pipelineName)}`,
      run: async () => {
        await writeHalt(aws.ssm, pipelineName, { halted: true, reason: options.reason, by: identity.arn, at });
        return ['halted (the bake gate promotes nothing while it is set)'];
      },
    },
    {
      name: `disable the transition into ${PROD_STAGE}`,
      run: async () => {
        await aws.codePipeline.send(
          new DisableStageTransitionCommand({ pipelineName, stageName: PROD_STAGE, transitionType: 'Inbound', reason: transitionReason(identity, options.reason) }),
        );
        return ['disabled'];
      },
    },
    {
      name: 'reject pending approvals (the bakes)',
      run: () => rejectPendingApprovals(aws.codePipeline, pipelineName, `Rejected by tollgate stop (${identity.arn}): ${options.reason}`.slice(0, APPROVAL_SUMMARY_MAX)),
    },
  ];
  if (options.abort) {
    steps.push({ name: 'stop in-flight executions (abandon)', run: () => abortInFlight(aws.codePipeline, pipelineName, options.reason) });
  }
  // Last, so that it can say what was done; a failed announcement undoes nothing.
  steps.push(announceProdChange(aws, topicArn(config, given, identity.arn), { command: 'stop', pipelineName, by: identity.arn, reason: options.reason, at }));
  if (await runSteps(ctx, steps, { continueAfterFailure: true })) {
    if (!options.abort) await reportStillDeploying(ctx, aws.codePipeline, pipelineName);
    ctx.out(`Nothing reaches ${PROD_STAGE} until \`tollgate resume --reason "..."\`.`);
  } else {
    ctx.err('tollgate: stop is incomplete: the steps marked FAILED were not done; fix the cause and run the same command again (it is safe to repeat)');
    ctx.setExitCode(1);
  }
}

export function registerStopCommand(program: Command, ctx: CliContext): void {
  program
    .command('stop')
    .description(
      `Stop releases to ${PROD_STAGE} (through the operator role): set the halt flag the bake gate honours, disable the transition into ${PROD_STAGE}, reject pending approvals (the bakes: a rejected prod bake rolls ${PROD_STAGE} back), announce it on the release topic; safe to repeat`,
    )
    .requiredOption('--reason <text>', 'why; recorded with your identity in the halt flag, the transition, the rejections and the announcement', parseReason)
    .option('--abort', 'also stop and abandon every in-flight execution (deployments already started in CloudFormation still finish)')
    .option('--topic-arn <arn>', TOPIC_ARN_HELP)
    .action((options: StopOptions) => stop(ctx, options));
}
