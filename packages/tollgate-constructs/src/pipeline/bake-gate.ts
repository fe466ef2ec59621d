import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GateBake, GateEntryCheck, GateEnvironment, GateSettings, MetricId } from '../lambdas/bake-gate/settings';
import { CalendarSettings } from '../domain/release-calendar';
import { operatorRoleName } from '../domain/pipeline-controls';
import { AlarmTopic } from './alarm-topic';
import { addGateApprovals, DEFAULT_BAKE_ACTION, DEFAULT_ENTRY_CHECK_ACTION, GateBakeProps, GateEntryCheckProps, longestBakeWait } from './gate-approvals';
import { GateAlarms } from './gate-alarms';
import { GateFunction } from './gate-function';
import { addGateStateTable } from './gate-state-table';
import { GateTriggers } from './gate-triggers';

export type { GateBakeProps, GateEntryCheckProps } from './gate-approvals';

/** An environment the gate watches, in its own account, through a read-only role there. */
export interface GateEnvironmentProps {
  /** How summaries and bakes name it, e.g. `dev`. */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The alarms whose ALARM during a bake rejects it; the environment's health alarm first. */
  readonly alarmNames: string[];
  /**
   * The environment's service stack: an update during a bake by anything but the pipeline rejects the bake.
   *
   * @default - the stack is not watched
   */
  readonly stackName?: string;
  /**
   * Synthetic checks that run every minute, by the metric whose sample count is one per run (e.g. a
   * CloudWatch Synthetics canary's `SuccessPercent`), and the share of a bake's minutes they must cover
   * (default 90): evidence that the environment served traffic.
   *
   * @default - no synthetic checks
   */
  readonly syntheticChecks?: { readonly metric: MetricId; readonly minimumCoveragePercent?: number };
  /**
   * Requests the environment must serve during a bake, and the metric whose sum counts them.
   *
   * @default - no minimum
   */
  readonly minimumRequests?: { readonly count: number; readonly metric: MetricId };
}

export interface BakeGateProps {
  /** The pipeline to gate. */
  readonly pipeline: codepipeline.Pipeline;
  /** Every environment a bake watches or promotes to. */
  readonly environments: GateEnvironmentProps[];
  /** The bakes, each at the end of its stage; one gate function decides them all. */
  readonly bakes: GateBakeProps[];
  /**
   * Entry checks, each at the start of its stage.
   *
   * @default - none
   */
  readonly entryChecks?: GateEntryCheckProps[];
  /**
   * Physical name of the gate's state table, so that operator tools can read the gate's health.
   *
   * @default - a generated name
   */
  readonly stateTableName?: string;
  /** Physical name of the read-only role in every environment's account (see `AlarmReaderRole`). */
  readonly readerRoleName: string;
  /** Physical name of the gate function's role, which the reader roles trust. */
  readonly gateRoleName: string;
  /**
   * Physical name of the operator role in this account (see `OperatorRole`): the gate trusts a control that
   * loosens (an override, a halt flag cleared, the freezes) only when a session of this role wrote it.
   *
   * @default - `<pipelineName>-Operator` (`operatorRoleName` of `src/domain/pipeline-controls.ts`)
   */
  readonly operatorRoleName?: string;
  /**
   * How long after a bake minute the alarms may still fire for it: the gate approves only after that.
   *
   * @default cdk.Duration.minutes(3) - two one-minute datapoints plus CloudWatch's evaluation delay
   */
  readonly alarmLatency?: cdk.Duration;
  /**
   * How long a read may keep failing before the gate rejects rather than retrying.
   *
   * @default cdk.Duration.minutes(5)
   */
  readonly readFailureTolerance?: cdk.Duration;
  /**
   * When promotions may start: the gate holds a baked build while the calendar is closed (or a run-time freeze
   * is declared) and honours a break-glass override of one execution.
   *
   * @default - no calendar: every time is a release window
   */
  readonly releaseCalendar?: CalendarSettings;
  /**
   * Where rejections, break-glass promotions and the gate's own failures are announced.
   *
   * @default - a new topic encrypted with a new KMS key
   */
  readonly topic?: sns.ITopic;
  /**
   * Name of the topic created when `topic` is not given; a fixed name lets operator tools find it.
   *
   * @default - a generated name
   */
  readonly topicName?: string;
}

/**
 * Timed, alarm-watched bakes at the end of pipeline stages: manual approvals (free while they wait, up to 60
 * days) after each stage's deployments, owned by one gate function. The function rejects within seconds of a
 * watched alarm entering ALARM (alarm events forwarded from the environments' accounts to this account's
 * default event bus) and reconciles every minute: approve when the bake time has passed with no ALARM, no
 * tampering and evidence of traffic; hold while halted, while the next environment is unhealthy or the release
 * calendar is closed; retry a failed read, and reject when it keeps failing. A rejected bake fails its stage:
 * for the last environment, that is what rolls it back (`onFailure: ROLLBACK`).
 *
 * A facade over its parts, one file each: the approvals (`addGateApprovals`), the topic (`AlarmTopic`), the state
 * table (`addGateStateTable`), the function with its role and grants (`GateFunction`, with its `DeadLetters`), what
 * invokes it (`GateTriggers`) and the alarms that page when it fails, stops or gets stuck (`GateAlarms`).
 */
export class BakeGate extends Construct {
  /** The gate-owned approval actions, by `<stage>/<action>`. */
  readonly approvals: ReadonlyMap<string, actions.ManualApprovalAction>;
  readonly function: lambda.Function;
  /** The gate function's role; the environments' reader roles trust it. */
  readonly role: iam.Role;
  /** Where rejections and gate failures are announced. */
  readonly topic: sns.ITopic;
  /** What the gate remembers between checks: failing reads, announcements owed. */
  readonly stateTable: dynamodb.TableV2;
  /** The ARN of the reader role in each environment, by environment name (targets in one account share it). */
  readonly readerRoleArns: ReadonlyMap<string, string>;
  /** What the gate was built from: its environments, bakes and entry checks, as given or derived by `ReleasePipeline.addBakeGate`. */
  readonly props: BakeGateProps;

  constructor(scope: Construct, id: string, props: BakeGateProps) {
    super(scope, id);
    this.props = props;
    const stack = cdk.Stack.of(this);
    const { pipeline } = props;
    const environmentNames = new Set(props.environments.map((e) => e.name));
    for (const env of props.environments) {
      if (env.alarmNames.length === 0) throw new Error(`BakeGate: environment ${env.name} needs at least one alarm`);
    }
    if (props.bakes.length === 0) throw new Error('BakeGate: needs at least one bake');
    for (const bake of props.bakes) {
      if (bake.environments.length === 0) throw new Error(`BakeGate: bake ${bake.stageName} names no environment`);
      for (const name of [...bake.environments, ...(bake.promotion?.environments ?? []), ...(bake.upstream?.environments ?? [])]) {
        if (!environmentNames.has(name)) throw new Error(`BakeGate: bake ${bake.stageName} names unknown environment ${name}`);
      }
    }
    for (const check of props.entryChecks ?? []) {
      for (const name of [...check.environments, ...check.upstream.environments]) {
        if (!environmentNames.has(name)) throw new Error(`BakeGate: entry check ${check.stageName} names unknown environment ${name}`);
      }
    }

    const readerRoleArn = (account: string) => stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: props.readerRoleName });
    this.readerRoleArns = new Map(props.environments.map((e) => [e.name, readerRoleArn(e.account)]));
    this.approvals = addGateApprovals(pipeline, { bakes: props.bakes, entryChecks: props.entryChecks });
    const settings = this.settings(props);

    // Every part below creates its resources in this construct, under the ids they always had: see each part.
    this.topic = props.topic ?? new AlarmTopic(this, 'Topic', { topicName: props.topicName, displayName: TOPIC_DISPLAY_NAME }).topic;
    this.stateTable = addGateStateTable(this, { tableName: props.stateTableName });
    const gate = new GateFunction(this, {
      pipeline,
      settings,
      topic: this.topic,
      stateTable: this.stateTable,
      roleName: props.gateRoleName,
      releaseCalendar: props.releaseCalendar,
    });
    this.function = gate.function;
    this.role = gate.role;
    new GateTriggers(this, {
      function: this.function,
      pipeline,
      approvals: [...settings.bakes, ...settings.entryChecks],
      environments: props.environments,
    });
    new GateAlarms(this, { function: this.function, pipelineName: pipeline.pipelineName, topic: this.topic, longestWait: longestBakeWait(props.bakes) });
    gate.deadLetters.pageOn(this.topic);
  }

  /** What the gate function decides on, from the props; refuses a bake that requires evidence it cannot read. */
  private settings(props: BakeGateProps): GateSettings {
    const bakes = props.bakes.map(
      (bake): GateBake => ({
        stageName: bake.stageName,
        actionName: bake.actionName ?? DEFAULT_BAKE_ACTION,
        environments: bake.environments,
        minutes: bake.bakeTime.toMinutes(),
        evidenceGraceMinutes: (bake.evidenceGrace ?? cdk.Duration.minutes(60)).toMinutes(),
        allowNoTraffic: bake.allowNoTraffic ?? false,
        promotion: bake.promotion && {
          stageName: bake.promotion.stageName,
          environments: bake.promotion.environments,
          lateStartMinutes: (bake.promotion.lateStartMargin ?? cdk.Duration.minutes(0)).toMinutes(),
        },
        upstream: bake.upstream && { ...bake.upstream, actionName: bake.upstream.actionName ?? DEFAULT_BAKE_ACTION },
      }),
    );
    const entryChecks = (props.entryChecks ?? []).map(
      (check): GateEntryCheck => ({
        stageName: check.stageName,
        actionName: check.actionName ?? DEFAULT_ENTRY_CHECK_ACTION,
        upstream: { ...check.upstream, actionName: check.upstream.actionName ?? DEFAULT_BAKE_ACTION },
        promotion: { stageName: check.stageName, environments: check.environments, lateStartMinutes: (check.lateStartMargin ?? cdk.Duration.minutes(0)).toMinutes() },
      }),
    );
    const { pipeline } = props;
    const settings: GateSettings = {
      pipelineName: pipeline.pipelineName,
      gateRoleName: props.gateRoleName,
      operatorRoleName: props.operatorRoleName ?? operatorRoleName(pipeline.pipelineName),
      environments: props.environments.map(
        (e): GateEnvironment => ({
          name: e.name,
          account: e.account,
          region: e.region,
          readerRoleArn: this.readerRoleArns.get(e.name)!,
          alarmNames: e.alarmNames,
          stackName: e.stackName,
          evidence: {
            syntheticChecks: e.syntheticChecks && {
              metric: e.syntheticChecks.metric,
              minimumCoveragePercent: e.syntheticChecks.minimumCoveragePercent ?? 90,
            },
            requests: e.minimumRequests && { metric: e.minimumRequests.metric, minimum: e.minimumRequests.count },
          },
        }),
      ),
      bakes,
      entryChecks,
      alarmLatencyMinutes: (props.alarmLatency ?? cdk.Duration.minutes(3)).toMinutes(),
      readFailureToleranceMinutes: (props.readFailureTolerance ?? cdk.Duration.minutes(5)).toMinutes(),
    };
    for (const bake of bakes) {
      for (const env of settings.environments.filter((e) => bake.environments.includes(e.name))) {
        if (!bake.allowNoTraffic && !env.evidence.syntheticChecks && !env.evidence.requests) {
          throw new Error(`BakeGate: bake ${bake.stageName} requires evidence, but environment ${env.name} has no synthetic checks or request metric; give one, or set allowNoTraffic`);
        }
      }
    }
    return settings;
  }
}

const TOPIC_DISPLAY_NAME = 'Tollgate release events: rejections, break-glass promotions, gate failures';
