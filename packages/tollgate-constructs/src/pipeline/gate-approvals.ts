import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';

/** The name of a bake's approval when its props give none. */
export const DEFAULT_BAKE_ACTION = 'Bake';
/** The name of an entry check's approval when its props give none. */
export const DEFAULT_ENTRY_CHECK_ACTION = 'EntryCheck';

/**
 * The longest `additionalInformation` (the action configuration's `CustomData`): an action configuration value
 * is at most 1000 characters (CodePipeline API Reference, ActionDeclaration `configuration`).
 */
export const MAX_APPROVAL_INFORMATION_LENGTH = 1000;

/** CodePipeline's manual approval timeout range. */
const MIN_TIMEOUT_MINUTES = 5;
const MAX_TIMEOUT_MINUTES = 86_400;

/** A bake: a manual approval at the end of a stage, owned by the gate. */
export interface GateBakeProps {
  /** The stage whose deployment bakes; the approval becomes its last action. */
  readonly stageName: string;
  /** @default 'Bake' */
  readonly actionName?: string;
  /**
   * The environments the stage deploys ({@link GateEnvironmentProps.name}s): one, or every target of a wave;
   * each must stay healthy and show evidence on its own.
   */
  readonly environments: string[];
  /** How long the environments must stay healthy. */
  readonly bakeTime: cdk.Duration;
  /**
   * How long after the bake the gate waits for evidence (alarms OK now, enough traffic) before rejecting.
   *
   * @default cdk.Duration.minutes(60)
   */
  readonly evidenceGrace?: cdk.Duration;
  /**
   * Approve without evidence of traffic; stated in every approval summary.
   *
   * @default false
   */
  readonly allowNoTraffic?: boolean;
  /**
   * The stage promoted to next: the build waits while the health alarm of any of its environments is in ALARM,
   * while the release calendar is closed, and when the window closes within `lateStartMargin`.
   *
   * @default - promotes nowhere: the bake ends the stage (and a rejection fails it)
   */
  readonly promotion?: { readonly stageName: string; readonly environments: string[]; readonly lateStartMargin?: cdk.Duration };
  /**
   * An earlier bake of the same build whose environments' alarms still count while its stage runs this build.
   *
   * @default - none
   */
  readonly upstream?: GateUpstreamProps;
  /**
   * How long a baked build may be held (release calendar closed, halt, next environment unhealthy) before the
   * approval times out and fails. Bake plus hold is at most 60 days.
   *
   * @default cdk.Duration.days(14) with a promotion, cdk.Duration.hours(1) without
   */
  readonly maxHold?: cdk.Duration;
}

/** An earlier bake, and the environments of its stage. */
export interface GateUpstreamProps {
  readonly stageName: string;
  /** @default 'Bake' */
  readonly actionName?: string;
  readonly environments: string[];
}

/**
 * A check at the start of a stage, before its deployment: the earlier environment must have stayed clean since
 * its bake started, and the entered environment must be ready (health, calendar, halt). Whatever brought the
 * build to the stage (a resume, a re-enabled transition, a retry), it is checked again right before it deploys.
 */
export interface GateEntryCheckProps {
  /** The stage entered; the check runs beside its first actions (a change set is prepared, nothing deployed). */
  readonly stageName: string;
  /** @default 'EntryCheck' */
  readonly actionName?: string;
  /** The earlier bake whose environments must have stayed clean since it started. */
  readonly upstream: GateUpstreamProps;
  /** The environments the stage deploys: the build waits while any is in ALARM or the calendar is closed. */
  readonly environments: string[];
  /**
   * The environments' deployment plus bake: the build waits when the release window closes sooner.
   *
   * @default cdk.Duration.minutes(0)
   */
  readonly lateStartMargin?: cdk.Duration;
  /**
   * How long the build may wait at the door before the check times out and fails.
   *
   * @default cdk.Duration.days(14)
   */
  readonly maxHold?: cdk.Duration;
}

export interface GateApprovalsProps {
  /** The bakes, each an approval after every other action of its stage. */
  readonly bakes: readonly GateBakeProps[];
  /**
   * The entry checks, each an approval beside the first actions of its stage.
   *
   * @default - none
   */
  readonly entryChecks?: readonly GateEntryCheckProps[];
}

/** How long a baked build may be held, by default two weeks before a promotion and an hour otherwise. */
export function bakeHold(bake: GateBakeProps): cdk.Duration {
  return bake.maxHold ?? (bake.promotion ? cdk.Duration.days(14) : cdk.Duration.hours(1));
}

/** The longest a bake approval may wait before the gate must have decided it: bake, evidence grace and hold. */
export function longestBakeWait(bakes: readonly GateBakeProps[]): cdk.Duration {
  return cdk.Duration.minutes(
    Math.max(...bakes.map((b) => b.bakeTime.toMinutes() + (b.evidenceGrace ?? cdk.Duration.minutes(60)).toMinutes() + bakeHold(b).toMinutes())),
  );
}

/**
 * Adds the gate-owned manual approvals to the pipeline's stages: each bake after every other action of its stage,
 * then each entry check beside its stage's first actions. Approving one by hand skips what the gate checks.
 *
 * @returns the approvals by `<stage>/<action>`, bakes first
 */
export function addGateApprovals(pipeline: codepipeline.Pipeline, props: GateApprovalsProps): ReadonlyMap<string, actions.ManualApprovalAction> {
  const approvals = new Map<string, actions.ManualApprovalAction>();
  for (const bake of props.bakes) {
    const actionName = bake.actionName ?? DEFAULT_BAKE_ACTION;
    approvals.set(`${bake.stageName}/${actionName}`, addBakeApproval(stageOf(pipeline, bake.stageName), bake, actionName));
  }
  for (const check of props.entryChecks ?? []) {
    const actionName = check.actionName ?? DEFAULT_ENTRY_CHECK_ACTION;
    approvals.set(`${check.stageName}/${actionName}`, addEntryApproval(stageOf(pipeline, check.stageName), check, actionName));
  }
  return approvals;
}

function stageOf(pipeline: codepipeline.Pipeline, stageName: string): codepipeline.IStage {
  const stage = pipeline.stages.find((s) => s.stageName === stageName);
  if (!stage) throw new Error(`BakeGate: the pipeline has no stage ${stageName}`);
  return stage;
}

/** The bake's approval, after every other action of its stage: the bake starts when the deployment ended. */
function addBakeApproval(stage: codepipeline.IStage, bake: GateBakeProps, actionName: string): actions.ManualApprovalAction {
  const bakeMinutes = bake.bakeTime.toMinutes();
  const holdMinutes = bakeHold(bake).toMinutes();
  if (bakeMinutes < 1) throw new Error(`BakeGate: bake ${bake.stageName} must last at least a minute`);
  if (bakeMinutes + holdMinutes > MAX_TIMEOUT_MINUTES) {
    throw new Error(`BakeGate: bake ${bake.stageName} (${bakeMinutes} min) plus its hold (${holdMinutes} min) exceeds the 60-day approval limit`);
  }
  const approval = new actions.ManualApprovalAction({
    actionName,
    runOrder: Math.max(...stage.actions.map((a) => a.actionProperties.runOrder ?? 1)) + 1,
    // The bake plus the longest hold; the gate decides long before, unless something holds the build.
    timeout: cdk.Duration.minutes(Math.max(MIN_TIMEOUT_MINUTES, bakeMinutes + holdMinutes)),
    additionalInformation: approvalInformation(
      `Owned by the bake gate: approved after ${bakeMinutes} min of clean health in ${bake.environments.join(', ')}, rejected on any alarm.`,
      'Approving by hand skips the bake.',
    ),
  });
  stage.addAction(approval);
  return approval;
}

/** The entry check's approval, beside the stage's first actions: nothing deploys before it passes. */
function addEntryApproval(stage: codepipeline.IStage, check: GateEntryCheckProps, actionName: string): actions.ManualApprovalAction {
  const first = Math.min(...stage.actions.map((a) => a.actionProperties.runOrder ?? 1));
  const approval = new actions.ManualApprovalAction({
    actionName,
    // Beside the first actions (CDK Pipelines' change set preparation), before any deployment action.
    runOrder: first,
    timeout: cdk.Duration.minutes(Math.max(MIN_TIMEOUT_MINUTES, (check.maxHold ?? cdk.Duration.days(14)).toMinutes())),
    additionalInformation: approvalInformation(
      `Owned by the bake gate: checks ${check.upstream.environments.join(', ')} stayed clean and ${check.environments.join(', ')} may receive the build.`,
      'Approving by hand skips the check.',
    ),
  });
  stage.addAction(approval);
  return approval;
}

/** What an approval says, within the configuration's limit: a long list of targets is cut, the warning kept. */
function approvalInformation(what: string, warning: string): string {
  const room = MAX_APPROVAL_INFORMATION_LENGTH - warning.length - 1;
  return `${what.length <= room ? what : `${what.slice(0, room - 1)}…`} ${warning}`;
}
