import {
  CodePipelineClient,
  DisableStageTransitionCommand,
  GetPipelineStateOutput,
  PutApprovalResultCommand,
  StopPipelineExecutionCommand,
} from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { haltParameterName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { TOPIC_ARN_HELP, announceProdChange, givenTopicArn } from '../announce';
import { CallerIdentity, describeError } from '../aws';
import { CliContext } from '../context';
import { writeHalt } from '../control-parameters';
import { parseReason } from '../options';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { beginProdChange, getPipelineState, pendingApprovals, recentExecutions } from '../pipeline';
import { PipelineManifest, transitions } from '../pipeline-manifest';
import { Step, StepOutcome, failures, runSteps } from '../steps';

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
async function rejectPendingApprovals(client: CodePipelineClient, pipelineName: string, manifest: PipelineManifest, summary: string): Promise<string[]> {
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
      const bake = manifest.isPromotionStageBake(approval.stageName, approval.actionName) ? manifest.bakeAt(approval.stageName, approval.actionName) : undefined;
      lines.push(
        bake
          ? `rejected ${name}, the ${bake.environments.join(', ')} bake: ${bake.stage} fails and rolls back to the last successful release`
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

/** What `stop` without `--abort` leaves deploying, or why it could not be read; nothing is changed. */
async function readStillDeploying(client: CodePipelineClient, pipelineName: string): Promise<{ deploying: string[] } | { error: string }> {
  try {
    return { deploying: stillDeploying(await getPipelineState(client, pipelineName)) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** The outcomes of `stop`'s steps by what each does; `abort` only with `--abort`. */
export interface StopOutcomes {
  readonly halt: StepOutcome;
  readonly transition: StepOutcome;
  readonly approvals: StepOutcome;
  readonly abort?: StepOutcome;
  readonly announce: StepOutcome;
}

/** Where releases to Prod stand after `stop`: both the halt flag and the closed transition hold them. */
export type StopState = 'stopped' | 'partly stopped' | 'not stopped';

export interface StopSummary {
  readonly state: StopState;
  /** Whether every step was done. */
  readonly complete: boolean;
  /** One line: the state first (in capitals when anything failed), then what failed and what to do. */
  readonly message: string;
}

const REPEAT = 'fix the cause and run the same command again (it is safe to repeat)';

/** What `stop` achieved, decided from which of its steps were done. */
export function stopSummary(outcomes: StopOutcomes, pipelineName: string, stage: string): StopSummary {
  const halted = outcomes.halt.status === 'done';
  const closed = outcomes.transition.status === 'done';
  const all = [outcomes.halt, outcomes.transition, outcomes.approvals, ...(outcomes.abort ? [outcomes.abort] : []), outcomes.announce];
  const failed = failures(all);
  if (!halted && !closed) {
    return {
      state: 'not stopped',
      complete: false,
      message: `RELEASES ARE NOT STOPPED: ${failed}; ${REPEAT}, or close ${stage} by hand: aws codepipeline disable-stage-transition --pipeline-name ${pipelineName} --stage-name ${stage} --transition-type Inbound --reason "stop"`,
    };
  }
  if (!closed) {
    return {
      state: 'partly stopped',
      complete: false,
      message: `RELEASES ARE PARTLY STOPPED: the halt flag is set but the transition into ${stage} is still enabled, so a build the gate already let through can still enter ${stage}; ${failed}; ${REPEAT}`,
    };
  }
  if (!halted) {
    return {
      state: 'partly stopped',
      complete: false,
      message: `RELEASES ARE PARTLY STOPPED: the transition into ${stage} is disabled but the halt flag is not set, so the gate still approves bakes and a redeploy of the pipeline may open the transition again; ${failed}; ${REPEAT}`,
    };
  }
  if (failed) {
    const untold = outcomes.announce.status === 'FAILED' ? '; the team was not told: tell them yourself' : '';
    return { state: 'stopped', complete: false, message: `RELEASES ARE STOPPED, but not every step was done: ${failed}; ${REPEAT}${untold}` };
  }
  return { state: 'stopped', complete: true, message: `Releases to ${stage} are stopped: nothing reaches ${stage} until \`tollgate resume --reason "..."\`.` };
}

async function stop(ctx: CliContext, options: StopOptions): Promise<void> {
  const given = givenTopicArn(options.topicArn);
  const { aws, pipelineName, identity, manifest } = await beginProdChange(ctx, 'Stopping', options.reason);
  // The door into prod, and with waves every wave's door too: no build moves from one wave to the next either.
  const stages = manifest.promotionStages;
  const stage = stages[0];
  const at = isoSeconds(ctx.now());
  const halt: Step = {
    name: `set halt flag ${haltParameterName(pipelineName)}`,
    run: async () => {
      await writeHalt(aws.ssm, pipelineName, { halted: true, reason: options.reason, by: identity.arn, at });
      return ['halted (the bake gate promotes nothing while it is set)'];
    },
  };
  const transition: Step = {
    name: `disable the ${transitions(stages)}`,
    run: async () => {
      for (const stageName of stages) {
        await aws.codePipeline.send(
          new DisableStageTransitionCommand({ pipelineName, stageName, transitionType: 'Inbound', reason: transitionReason(identity, options.reason) }),
        );
      }
      return ['disabled'];
    },
  };
  const approvals: Step = {
    name: 'reject pending approvals (the bakes)',
    run: () => rejectPendingApprovals(aws.codePipeline, pipelineName, manifest, `Rejected by tollgate stop (${identity.arn}): ${options.reason}`.slice(0, APPROVAL_SUMMARY_MAX)),
  };
  const abort: Step | undefined = options.abort
    ? { name: 'stop in-flight executions (abandon)', run: () => abortInFlight(aws.codePipeline, pipelineName, options.reason) }
    : undefined;
  // Last, so that it can say what was done; a failed announcement undoes nothing.
  const announce = announceProdChange(aws, given ?? manifest.document.releaseTopic.arn, { command: 'stop', pipelineName, stage, by: identity.arn, reason: options.reason, at });
  const steps = [halt, transition, approvals, ...(abort ? [abort] : []), announce];
  const outcomes = await runSteps(ctx, steps, { continueAfterFailure: true });
  const outcome = (step: Step) => outcomes[steps.indexOf(step)];
  const summary = stopSummary(
    { halt: outcome(halt), transition: outcome(transition), approvals: outcome(approvals), abort: abort && outcome(abort), announce: outcome(announce) },
    pipelineName,
    stage,
  );
  const still = summary.complete && !options.abort ? await readStillDeploying(aws.codePipeline, pipelineName) : undefined;
  ctx.report({ state: summary.state, complete: summary.complete, steps: outcomes, ...(still ? { stillDeploying: still } : {}) }, () => {
    if (still && 'error' in still) ctx.out(`could not read what is still deploying (${still.error}): \`tollgate status\` shows it`);
    else if (still && still.deploying.length > 0) ctx.out(`still deploying (stop does not interrupt it; use --abort): ${still.deploying.join(', ')}`);
    if (summary.complete) ctx.out(summary.message);
  });
  if (!summary.complete) ctx.fail(summary.message);
}

export function registerStopCommand(program: Command, ctx: CliContext): void {
  program
    .command('stop')
    .description(
      'Stop releases to the promotion stage (Prod; the pipeline manifest names it) through the operator role: set the halt flag the bake gate honours, disable the transition into that stage, reject pending approvals (the bakes: a rejected bake in that stage rolls it back), announce it on the release topic; safe to repeat',
    )
    .requiredOption('--reason <text>', 'why; recorded with your identity in the halt flag, the transition, the rejections and the announcement', parseReason)
    .option('--abort', 'also stop and abandon every in-flight execution (deployments already started in CloudFormation still finish)')
    .option('--topic-arn <arn>', TOPIC_ARN_HELP)
    .action((options: StopOptions) => stop(ctx, options));
}
