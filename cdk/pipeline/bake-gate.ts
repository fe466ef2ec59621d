import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RELEASE_CALENDAR_ENV } from '../../lambdas/bake-gate/release-window';
import {
  GATE_METRICS,
  GATE_METRICS_NAMESPACE,
  GATE_SETTINGS_ENV,
  GATE_STATE_TABLE_ENV,
  GATE_TOPIC_ENV,
  GateBake,
  GateEntryCheck,
  GateEnvironment,
  GateSettings,
  MetricId,
} from '../../lambdas/bake-gate/settings';
import { CalendarSettings } from '../../lambdas/shared/release-calendar';
import { controlsHierarchy, operatorRoleName } from '../../lambdas/shared/pipeline-controls';
import { NodejsLambda } from '../lambda-defaults';
import { AlarmTopic } from './alarm-topic';
import { DeadLetters } from './dead-letters';

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

/** A bake: a manual approval at the end of a stage, owned by the gate. */
export interface GateBakeProps {
  /** The stage whose deployment bakes; the approval becomes its last action. */
  readonly stageName: string;
  /** @default 'Bake' */
  readonly actionName?: string;
  /** The environment the stage deploys (a {@link GateEnvironmentProps.name}). */
  readonly environment: string;
  /** How long the environment must stay healthy. */
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
   * The stage promoted to next: the build waits while its environment's health alarm is in ALARM, while the
   * release calendar is closed, and when the window closes within `lateStartMargin`.
   *
   * @default - promotes nowhere: the bake ends the stage (and a rejection fails it)
   */
  readonly promotion?: { readonly stageName: string; readonly environment: string; readonly lateStartMargin?: cdk.Duration };
  /**
   * An earlier bake of the same build whose environment's alarms still count while it runs this build.
   *
   * @default - none
   */
  readonly upstream?: { readonly stageName: string; readonly actionName?: string; readonly environment: string };
  /**
   * How long a baked build may be held (release calendar closed, halt, next environment unhealthy) before the
   * approval times out and fails. Bake plus hold is at most 60 days.
   *
   * @default cdk.Duration.days(14) with a promotion, cdk.Duration.hours(1) without
   */
  readonly maxHold?: cdk.Duration;
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
  /** The earlier bake whose environment must have stayed clean since it started. */
  readonly upstream: { readonly stageName: string; readonly actionName?: string; readonly environment: string };
  /** The environment the stage deploys: the build waits while it is in ALARM or the calendar is closed. */
  readonly environment: string;
  /**
   * The environment's deployment plus bake: the build waits when the release window closes sooner.
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
   * @default - `<pipelineName>-Operator` (`operatorRoleName` of `lambdas/shared/pipeline-controls.ts`)
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

/** CodePipeline's manual approval timeout range. */
const MIN_TIMEOUT_MINUTES = 5;
const MAX_TIMEOUT_MINUTES = 86_400;
const DEFAULT_ACTION_NAME = 'Bake';
const DEFAULT_ENTRY_CHECK_NAME = 'EntryCheck';

/**
 * Timed, alarm-watched bakes at the end of pipeline stages: manual approvals (free while they wait, up to 60
 * days) after each stage's deployments, owned by one gate function. The function rejects within seconds of a
 * watched alarm entering ALARM (alarm events forwarded from the environments' accounts to this account's
 * default event bus) and reconciles every minute: approve when the bake time has passed with no ALARM, no
 * tampering and evidence of traffic; hold while halted, while the next environment is unhealthy or the release
 * calendar is closed; retry a failed read, and reject when it keeps failing. A rejected bake fails its stage:
 * for the last environment, that is what rolls it back (`onFailure: ROLLBACK`).
 */
export class BakeGate extends Construct {
  /** The gate-owned approval actions, by `<stage>/<action>`. */
  readonly approvals: ReadonlyMap<string, actions.ManualApprovalAction>;
  readonly function: NodejsLambda;
  /** The gate function's role; the environments' reader roles trust it. */
  readonly role: iam.Role;
  /** Where rejections and gate failures are announced. */
  readonly topic: sns.ITopic;
  /** What the gate remembers between checks: failing reads, announcements owed. */
  readonly stateTable: dynamodb.TableV2;
  /** The ARN of the reader role in each environment, by environment name. */
  readonly readerRoleArns: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: BakeGateProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const { pipeline } = props;
    const environmentNames = new Set(props.environments.map((e) => e.name));
    for (const env of props.environments) {
      if (env.alarmNames.length === 0) throw new Error(`BakeGate: environment ${env.name} needs at least one alarm`);
    }
    if (props.bakes.length === 0) throw new Error('BakeGate: needs at least one bake');

    const readerRoleArn = (account: string) => stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: props.readerRoleName });
    this.readerRoleArns = new Map(props.environments.map((e) => [e.name, readerRoleArn(e.account)]));

    const approvals = new Map<string, actions.ManualApprovalAction>();
    const bakes = props.bakes.map((bake): GateBake => {
      for (const name of [bake.environment, bake.promotion?.environment, bake.upstream?.environment]) {
        if (name !== undefined && !environmentNames.has(name)) throw new Error(`BakeGate: bake ${bake.stageName} names unknown environment ${name}`);
      }
      const actionName = bake.actionName ?? DEFAULT_ACTION_NAME;
      approvals.set(`${bake.stageName}/${actionName}`, this.addApproval(pipeline, bake, actionName));
      return {
        stageName: bake.stageName,
        actionName,
        environment: bake.environment,
        minutes: bake.bakeTime.toMinutes(),
        evidenceGraceMinutes: (bake.evidenceGrace ?? cdk.Duration.minutes(60)).toMinutes(),
        allowNoTraffic: bake.allowNoTraffic ?? false,
        promotion: bake.promotion && {
          stageName: bake.promotion.stageName,
          environment: bake.promotion.environment,
          lateStartMinutes: (bake.promotion.lateStartMargin ?? cdk.Duration.minutes(0)).toMinutes(),
        },
        upstream: bake.upstream && { ...bake.upstream, actionName: bake.upstream.actionName ?? DEFAULT_ACTION_NAME },
      };
    });
    const entryChecks = (props.entryChecks ?? []).map((check): GateEntryCheck => {
      for (const name of [check.environment, check.upstream.environment]) {
        if (!environmentNames.has(name)) throw new Error(`BakeGate: entry check ${check.stageName} names unknown environment ${name}`);
      }
      const actionName = check.actionName ?? DEFAULT_ENTRY_CHECK_NAME;
      approvals.set(`${check.stageName}/${actionName}`, this.addEntryApproval(pipeline, check, actionName));
      return {
        stageName: check.stageName,
        actionName,
        upstream: { ...check.upstream, actionName: check.upstream.actionName ?? DEFAULT_ACTION_NAME },
        promotion: { stageName: check.stageName, environment: check.environment, lateStartMinutes: (check.lateStartMargin ?? cdk.Duration.minutes(0)).toMinutes() },
      };
    });
    this.approvals = approvals;
    const owned = [...bakes, ...entryChecks];

    this.topic = props.topic ?? this.createTopic(props.topicName);
    this.stateTable = new dynamodb.TableV2(this, 'State', {
      tableName: props.stateTableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      // Remembered announcements expire on their own.
      timeToLiveAttribute: 'expiresAt',
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Only failing-read records and announcements owed: nothing to keep once the pipeline is gone.
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'Role', {
      roleName: props.gateRoleName,
      description: `Bake gate of pipeline ${pipeline.node.path}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
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
      const env = settings.environments.find((e) => e.name === bake.environment)!;
      if (!bake.allowNoTraffic && !env.evidence.syntheticChecks && !env.evidence.requests) {
        throw new Error(`BakeGate: bake ${bake.stageName} requires evidence, but environment ${env.name} has no synthetic checks or request metric; give one, or set allowNoTraffic`);
      }
    }
    const deadLetters = new DeadLetters(this, 'DeadLetters', { owner: 'the bake gate' });
    this.function = new NodejsLambda(this, 'Function', {
      entry: 'lambdas/bake-gate/index.ts',
      description: `Bake gate: approves or rejects the bakes of the pipeline (${bakes.map((b) => `${b.stageName}/${b.actionName}`).join(', ')})`,
      role: this.role,
      // Room for the SDK's retries with backoff; the schedule starts the next check a minute later anyway.
      timeout: cdk.Duration.seconds(60),
      environment: {
        [GATE_SETTINGS_ENV]: stack.toJsonString(settings),
        [GATE_TOPIC_ENV]: this.topic.topicArn,
        [GATE_STATE_TABLE_ENV]: this.stateTable.tableName,
        ...(props.releaseCalendar ? { [RELEASE_CALENDAR_ENV]: JSON.stringify(props.releaseCalendar) } : {}),
      },
      // A failed check is retried twice; an older event is no news, the schedule has checked since.
      retryAttempts: 2,
      maxEventAge: cdk.Duration.minutes(10),
      // What still failed after the retries is kept, and its arrival pages (below).
      deadLetterQueue: deadLetters.queue,
    });
    this.grantGateCalls(pipeline, owned);

    // Halt fast: state changes of the watched alarms, forwarded from the environments' accounts.
    const accounts = [...new Set(props.environments.map((e) => e.account))];
    new events.Rule(this, 'AlarmStateChanges', {
      description: 'Watched alarm state changes: a watched alarm in ALARM rejects the bakes of its environment at once',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        account: accounts,
        detail: { alarmName: [...new Set(props.environments.flatMap((e) => e.alarmNames))] },
      },
      targets: [new targets.LambdaFunction(this.function)],
    });
    new events.Rule(this, 'BakeStarted', {
      description: 'A gate-owned approval started: a bake begins, or a build is at a stage entry',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change'],
        resources: [pipeline.pipelineArn],
        detail: {
          pipeline: [pipeline.pipelineName],
          stage: [...new Set(owned.map((b) => b.stageName))],
          action: [...new Set(owned.map((b) => b.actionName))],
          state: ['STARTED'],
        },
      },
      targets: [new targets.LambdaFunction(this.function)],
    });
    new events.Rule(this, 'EveryMinute', {
      description: 'Reconciles every pending bake approval; catches lost and late alarm events; pays owed announcements',
      schedule: events.Schedule.rate(cdk.Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function)],
    });
    this.allowAlarmEventsFrom(accounts.filter((a) => a !== stack.account));

    this.watchItself(pipeline, props.bakes);
    deadLetters.pageOn(this.topic);
  }

  /**
   * A gate that fails, stops or gets stuck decides nothing, and builds would wait until their approvals time out
   * in silence: each of these pages on the topic.
   */
  private watchItself(pipeline: codepipeline.Pipeline, bakes: readonly GateBakeProps[]): void {
    const page = new cloudwatchActions.SnsAction(this.topic);
    const pulse = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: GATE_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { Pipeline: pipeline.pipelineName, service: 'tollgate-bake-gate' },
        period: cdk.Duration.minutes(1),
        statistic,
      });
    new cloudwatch.Alarm(this, 'FailingAlarm', {
      alarmDescription: 'The bake gate failed in 3 of the last 5 minutes: pending bakes are not being decided.',
      metric: this.function.metricErrors({ period: cdk.Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(page);
    // The schedule checks every minute whether or not a bake waits, so five silent minutes mean a dead gate
    // (not invoked, timing out, or failing before it finishes): missing data is breaching here on purpose.
    new cloudwatch.Alarm(this, 'HeartbeatAlarm', {
      alarmDescription: 'The bake gate completed no check in 5 minutes: it is not running, or fails before it decides.',
      metric: pulse(GATE_METRICS.checks, 'Sum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    }).addAlarmAction(page);
    const longestWait = Math.max(
      ...bakes.map((b) => b.bakeTime.toMinutes() + (b.evidenceGrace ?? cdk.Duration.minutes(60)).toMinutes() + this.holdOf(b).toMinutes()),
    );
    new cloudwatch.Alarm(this, 'StuckApprovalAlarm', {
      alarmDescription: `A bake approval has waited longer than any bake, evidence grace and hold allow (${longestWait} min): the gate is not deciding it.`,
      metric: pulse(GATE_METRICS.oldestPendingMinutes, 'Maximum'),
      threshold: longestWait,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(page);
  }

  /** How long a baked build may be held, by default two weeks before a promotion and an hour otherwise. */
  private holdOf(bake: GateBakeProps): cdk.Duration {
    return bake.maxHold ?? (bake.promotion ? cdk.Duration.days(14) : cdk.Duration.hours(1));
  }

  /** The bake's approval, after every other action of its stage: the bake starts when the deployment ended. */
  private addApproval(pipeline: codepipeline.Pipeline, bake: GateBakeProps, actionName: string): actions.ManualApprovalAction {
    const stage = pipeline.stages.find((s) => s.stageName === bake.stageName);
    if (!stage) throw new Error(`BakeGate: the pipeline has no stage ${bake.stageName}`);
    const bakeMinutes = bake.bakeTime.toMinutes();
    const holdMinutes = this.holdOf(bake).toMinutes();
    if (bakeMinutes < 1) throw new Error(`BakeGate: bake ${bake.stageName} must last at least a minute`);
    if (bakeMinutes + holdMinutes > MAX_TIMEOUT_MINUTES) {
      throw new Error(`BakeGate: bake ${bake.stageName} (${bakeMinutes} min) plus its hold (${holdMinutes} min) exceeds the 60-day approval limit`);
    }
    const approval = new actions.ManualApprovalAction({
      actionName,
      runOrder: Math.max(...stage.actions.map((a) => a.actionProperties.runOrder ?? 1)) + 1,
      // The bake plus the longest hold; the gate decides long before, unless something holds the build.
      timeout: cdk.Duration.minutes(Math.max(MIN_TIMEOUT_MINUTES, bakeMinutes + holdMinutes)),
      additionalInformation:
        `Owned by the bake gate: approved after ${bakeMinutes} min of clean health in ${bake.environment}, rejected on any alarm. ` +
        'Approving by hand skips the bake.',
    });
    stage.addAction(approval);
    return approval;
  }

  /** The entry check's approval, beside the stage's first actions: nothing deploys before it passes. */
  private addEntryApproval(pipeline: codepipeline.Pipeline, check: GateEntryCheckProps, actionName: string): actions.ManualApprovalAction {
    const stage = pipeline.stages.find((s) => s.stageName === check.stageName);
    if (!stage) throw new Error(`BakeGate: the pipeline has no stage ${check.stageName}`);
    const first = Math.min(...stage.actions.map((a) => a.actionProperties.runOrder ?? 1));
    const approval = new actions.ManualApprovalAction({
      actionName,
      // Beside the first actions (CDK Pipelines' change set preparation), before any deployment action.
      runOrder: first,
      timeout: cdk.Duration.minutes(Math.max(MIN_TIMEOUT_MINUTES, (check.maxHold ?? cdk.Duration.days(14)).toMinutes())),
      additionalInformation: `Owned by the bake gate: checks ${check.upstream.environment} stayed clean and ${check.environment} may receive the build. Approving by hand skips the check.`,
    });
    stage.addAction(approval);
    return approval;
  }

  /** Only this pipeline's state, history and bake approvals, the reader roles, this pipeline's controls, its own state. */
  private grantGateCalls(pipeline: codepipeline.Pipeline, bakes: readonly { stageName: string; actionName: string }[]): void {
    const stack = cdk.Stack.of(this);
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions'], resources: [pipeline.pipelineArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:PutApprovalResult'],
        resources: bakes.map((b) => `${pipeline.pipelineArn}/${b.stageName}/${b.actionName}`),
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...new Set(this.readerRoleArns.values())] }));
    const path = controlsHierarchy(pipeline.pipelineName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path.slice(1) }), stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path.slice(1)}/*` })],
      }),
    );
    // Who last wrote each control (LastModifiedUser). The Service Authorization Reference (Actions defined by
    // AWS Systems Manager) lists DescribeParameters with no resource type: it accepts only "*".
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:DescribeParameters'], resources: ['*'] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [this.stateTable.tableArn] }),
    );
    this.topic.grantPublish(this.role);
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Wildcards only below this pipeline's own control parameters (/tollgate/<pipeline>/*), in the function's own log group's streams, KMS data keys of the topic's key, and ssm:DescribeParameters, which supports no resource-level permissions and returns only metadata (who last wrote a control).",
        },
      ],
      true,
    );
  }

  /** Lets the environments' accounts put alarm state changes, and only those, on this account's default bus. */
  private allowAlarmEventsFrom(accounts: string[]): void {
    const bus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    for (const account of accounts) {
      // Unique per pipeline and account on the shared default bus.
      const statementId = `${cdk.Names.uniqueId(this).slice(-40)}-${account}`;
      const statement = new iam.PolicyStatement({
        sid: statementId,
        principals: [new iam.AccountPrincipal(account)],
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': 'aws.cloudwatch', 'events:detail-type': 'CloudWatch Alarm State Change' } },
      });
      // EventBusPolicy renders the statement as given, so it takes the JSON (as EventBus.addToResourcePolicy does).
      new events.EventBusPolicy(this, `AllowAlarmEventsFrom${account}`, { eventBus: bus, statementId, statement: statement.toJSON() });
    }
  }

  private createTopic(topicName: string | undefined): sns.Topic {
    return new AlarmTopic(this, 'Topic', {
      topicName,
      displayName: 'Tollgate release events: rejections, break-glass promotions, gate failures',
    }).topic;
  }
}
