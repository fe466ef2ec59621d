import { EnableStageTransitionCommand } from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { haltParameterName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { TOPIC_ARN_HELP, announceProdChange, givenTopicArn } from '../announce';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { CliContext } from '../context';
import { writeHalt } from '../control-parameters';
import { parseReason } from '../options';
import { beginProdChange } from '../pipeline';
import { Step, StepOutcome, failures, runSteps } from '../steps';
import { transitions } from '../pipeline-manifest';

interface ResumeOptions {
  readonly reason: string;
  readonly topicArn?: string;
}

/** The outcomes of `resume`'s steps by what each does. */
export interface ResumeOutcomes {
  readonly halt: StepOutcome;
  readonly transition: StepOutcome;
  readonly announce: StepOutcome;
}

/** What `resume` achieved, decided from which of its steps were done; `message` starts with the state. */
export function resumeSummary(outcomes: ResumeOutcomes, stage: string): { readonly resumed: boolean; readonly complete: boolean; readonly message: string } {
  const failed = failures([outcomes.halt, outcomes.transition, outcomes.announce]);
  const again = 'fix the cause and run the same command again';
  if (outcomes.halt.status !== 'done') {
    return { resumed: false, complete: false, message: `RELEASES ARE STILL STOPPED: ${failed}; the transition into ${stage} was not touched; ${again}` };
  }
  if (outcomes.transition.status !== 'done') {
    return {
      resumed: false,
      complete: false,
      message: `RELEASES ARE STILL STOPPED: the halt flag is cleared but the transition into ${stage} was not enabled: ${failed}; ${again}`,
    };
  }
  if (outcomes.announce.status !== 'done') {
    return { resumed: true, complete: false, message: `RELEASES ARE RESUMED, but ${failed}: the team was not told; tell them yourself` };
  }
  return { resumed: true, complete: true, message: `Releases to ${stage} are resumed.` };
}

async function resume(ctx: CliContext, options: ResumeOptions): Promise<void> {
  const given = givenTopicArn(options.topicArn);
  const { aws, pipelineName, identity, manifest } = await beginProdChange(ctx, 'Resuming', options.reason);
  const stages = manifest.promotionStages;
  const stage = stages[0];
  const at = isoSeconds(ctx.now());
  const halt: Step = {
    name: `clear halt flag ${haltParameterName(pipelineName)}`,
    // First: should it fail, nothing was opened; should the next step fail, the transition stays closed.
    run: async () => {
      // halted:false with who and why, rather than a deletion: the record of the resume stays.
      await writeHalt(aws.ssm, pipelineName, { halted: false, reason: options.reason, by: identity.arn, at });
      return ['halted: false'];
    },
  };
  const transition: Step = {
    name: `enable the ${transitions(stages)}`,
    // Only once the halt flag is cleared: this lets a build parked at the transition into Prod, which must not
    // happen while the halt still stands.
    run: async () => {
      for (const stageName of stages) await aws.codePipeline.send(new EnableStageTransitionCommand({ pipelineName, stageName, transitionType: 'Inbound' }));
      return ['enabled'];
    },
  };
  // Last: it runs only when the pipeline is open again, and a failed announcement undoes nothing.
  const announce = announceProdChange(aws, given ?? manifest.document.releaseTopic.arn, { command: 'resume', pipelineName, stage, by: identity.arn, reason: options.reason, at });
  const [haltOutcome, transitionOutcome, announceOutcome] = await runSteps(ctx, [halt, transition, announce], { continueAfterFailure: false });
  const summary = resumeSummary({ halt: haltOutcome, transition: transitionOutcome, announce: announceOutcome }, stage);
  ctx.report({ resumed: summary.resumed, complete: summary.complete, steps: [haltOutcome, transitionOutcome, announceOutcome] }, () => {
    if (!summary.complete) return;
    ctx.out(summary.message);
    ctx.out(`A build waiting at the ${stage} transition is checked again by the gate's entry check before it deploys.`);
    ctx.out(`Approvals rejected by stop stay rejected: release again by pushing or with \`aws codepipeline start-pipeline-execution --name ${pipelineName}\`; builds baking now are decided by the gate.`);
  });
  if (!summary.complete) ctx.fail(summary.message);
}

export function registerResumeCommand(program: Command, ctx: CliContext): void {
  program
    .command('resume')
    .description('Undo stop (through the operator role): clear the halt flag (keeping who and why), then enable the transition into the promotion stage (Prod; the pipeline manifest names it), announce it on the release topic; re-approves nothing')
    .requiredOption('--reason <text>', 'why; recorded with your identity in the halt flag and the announcement', parseReason)
    .option('--topic-arn <arn>', TOPIC_ARN_HELP)
    .action((options: ResumeOptions) => resume(ctx, options));
}
