import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RELEASE_CALENDAR_ENV } from '../../lambdas/bake-gate/release-window';
import { GATE_SETTINGS_ENV, GATE_TOPIC_ENV, GateSettings, RequestMetric } from '../../lambdas/bake-gate/settings';
import { CalendarSettings } from '../../lambdas/shared/release-calendar';
import { controlsHierarchy } from '../../lambdas/shared/pipeline-controls';
import { NodejsLambda } from '../lambda-defaults';

/** An account whose alarms the gate reads through a read-only role there. */
export interface GateTargetAccount {
  readonly account: string;
  readonly region: string;
}

export interface BakeGateProps {
  /** The pipeline to gate. */
  readonly pipeline: codepipeline.Pipeline;
  /**
   * The stage whose deployment bakes (dev). The approval is its last action, so the stage stays locked
   * for the whole bake: CodePipeline lets no newer execution deploy into it until this build is decided,
   * and what bakes is what gets promoted.
   */
  readonly bakedStageName: string;
  /** The stage the build is promoted to (prod); until it has run once there is no prod health to read. */
  readonly promotionStageName: string;
  /** How long the baked environment must stay healthy. */
  readonly bakeTime: cdk.Duration;
  /** The account of the baked environment, and the alarms watched there; the environment's health first. */
  readonly watched: GateTargetAccount & { readonly alarmNames: string[] };
  /** The account promoted to, and its health alarm: the build waits while it is in ALARM. */
  readonly promotionTarget: GateTargetAccount & { readonly healthAlarmName: string };
  /** Physical name of the read-only role in both target accounts (see `AlarmReaderRole`). */
  readonly readerRoleName: string;
  /** Physical name of the gate function's role, which the reader roles trust. */
  readonly gateRoleName: string;
  /**
   * Requests the baked environment must serve during the bake, and the metric that counts them.
   *
   * @default - no minimum
   */
  readonly minimumRequests?: { readonly count: number; readonly metric: RequestMetric };
  /**
   * How long a baked build may be held (release calendar closed, halt, promotion target unhealthy) before
   * the approval times out and fails. Bake plus hold is at most 60 days.
   *
   * @default cdk.Duration.days(14)
   */
  readonly maxHold?: cdk.Duration;
  /**
   * How long after the bake the gate waits for evidence (alarms OK now, enough requests) before rejecting.
   *
   * @default cdk.Duration.minutes(60)
   */
  readonly evidenceGrace?: cdk.Duration;
  /**
   * Deployment plus bake of the promotion target: the gate does not start it when the release window
   * closes sooner.
   *
   * @default cdk.Duration.minutes(50)
   */
  readonly lateStartMargin?: cdk.Duration;
  /**
   * When the promotion target may be released to: the gate holds a baked build while the calendar is closed
   * (or a run-time freeze is declared) and honours a break-glass override of one execution.
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
  /** @default 'Bake' */
  readonly actionName?: string;
}

/** CodePipeline's manual approval timeout range. */
const MIN_TIMEOUT_MINUTES = 5;
const MAX_TIMEOUT_MINUTES = 86_400;

/**
 * A timed, alarm-watched bake at the end of a pipeline stage: a manual approval (free while it waits, up to
 * 60 days) after the stage's deployments, owned by a gate function. The function rejects within seconds of a watched alarm
 * entering ALARM (alarm events forwarded from the target accounts to this account's default event bus) and
 * reconciles every minute: approve when the bake time has passed with no ALARM in the alarms' history, the
 * alarms OK now and enough requests served; hold while halted, while the promotion target is unhealthy or
 * the release calendar is closed; reject whatever it cannot read.
 */
export class BakeGate extends Construct {
  /** The bake's approval action, the last action of the baked stage. */
  readonly approval: actions.ManualApprovalAction;
  /** The baked stage, which holds the approval. */
  readonly stage: codepipeline.IStage;
  readonly function: NodejsLambda;
  /** The gate function's role; the target accounts' reader roles trust it. */
  readonly role: iam.Role;
  /** Where rejections and gate failures are announced. */
  readonly topic: sns.ITopic;
  /** The ARN of the reader role in the watched and in the promotion target account. */
  readonly readerRoleArns: { readonly watched: string; readonly promotionTarget: string };

  constructor(scope: Construct, id: string, props: BakeGateProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    const { pipeline } = props;
    const actionName = props.actionName ?? 'Bake';
    const bakeMinutes = props.bakeTime.toMinutes();
    const holdMinutes = (props.maxHold ?? cdk.Duration.days(14)).toMinutes();
    if (props.watched.alarmNames.length === 0) throw new Error('BakeGate: watched.alarmNames needs at least one alarm');
    if (bakeMinutes + holdMinutes > MAX_TIMEOUT_MINUTES) {
      throw new Error(`BakeGate: bakeTime (${bakeMinutes} min) plus maxHold (${holdMinutes} min) exceeds the 60-day approval limit`);
    }

    const baked = pipeline.stages.find((s) => s.stageName === props.bakedStageName);
    if (!baked) throw new Error(`BakeGate: the pipeline has no stage ${props.bakedStageName}`);
    const stageName = baked.stageName;
    this.approval = new actions.ManualApprovalAction({
      actionName,
      // After every deployment action of the stage: the bake starts when the deployment has ended.
      runOrder: Math.max(...baked.actions.map((a) => a.actionProperties.runOrder ?? 1)) + 1,
      // The bake plus the longest hold; the gate decides long before, unless something holds the build.
      timeout: cdk.Duration.minutes(Math.max(MIN_TIMEOUT_MINUTES, bakeMinutes + holdMinutes)),
      additionalInformation:
        `Owned by the bake gate: approved after ${bakeMinutes} min of clean health in ${props.bakedStageName}, rejected on any alarm. ` +
        'Approving by hand skips the bake.',
    });
    baked.addAction(this.approval);
    this.stage = baked;

    this.topic = props.topic ?? this.createTopic(props.topicName);

    const readerRoleArn = (account: string) => stack.formatArn({ service: 'iam', region: '', account, resource: 'role', resourceName: props.readerRoleName });
    this.readerRoleArns = { watched: readerRoleArn(props.watched.account), promotionTarget: readerRoleArn(props.promotionTarget.account) };

    this.role = new iam.Role(this, 'Role', {
      roleName: props.gateRoleName,
      description: `Bake gate of pipeline ${pipeline.node.path}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    const settings: GateSettings = {
      pipelineName: pipeline.pipelineName,
      bakeStageName: stageName,
      bakeActionName: actionName,
      prodStageName: props.promotionStageName,
      bakeMinutes,
      evidenceGraceMinutes: (props.evidenceGrace ?? cdk.Duration.minutes(60)).toMinutes(),
      lateStartMinutes: (props.lateStartMargin ?? cdk.Duration.minutes(50)).toMinutes(),
      devAlarmNames: props.watched.alarmNames,
      prodHealthAlarmName: props.promotionTarget.healthAlarmName,
      minimumRequests: props.minimumRequests?.count,
      requestMetric: props.minimumRequests?.metric,
      dev: { account: props.watched.account, region: props.watched.region, readerRoleArn: this.readerRoleArns.watched },
      prod: { account: props.promotionTarget.account, region: props.promotionTarget.region, readerRoleArn: this.readerRoleArns.promotionTarget },
    };
    this.function = new NodejsLambda(this, 'Function', {
      entry: 'lambdas/bake-gate/index.ts',
      description: `Bake gate: approves or rejects the ${stageName} approval of the pipeline`,
      role: this.role,
      // Room for the SDK's retries with backoff; the schedule starts the next check a minute later anyway.
      timeout: cdk.Duration.seconds(60),
      environment: {
        [GATE_SETTINGS_ENV]: stack.toJsonString(settings),
        [GATE_TOPIC_ENV]: this.topic.topicArn,
        ...(props.releaseCalendar ? { [RELEASE_CALENDAR_ENV]: JSON.stringify(props.releaseCalendar) } : {}),
      },
      // A failed check is retried twice; an older event is no news, the schedule has checked since.
      retryAttempts: 2,
      maxEventAge: cdk.Duration.minutes(10),
    });
    this.grantGateCalls(pipeline, stageName, actionName);

    // Halt fast: state changes of the watched alarms, forwarded from the target accounts.
    const sourceAccounts = [...new Set([props.watched.account, props.promotionTarget.account])];
    new events.Rule(this, 'AlarmStateChanges', {
      description: 'Watched alarm state changes: a watched alarm in ALARM rejects the bake at once',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        account: sourceAccounts,
        detail: { alarmName: [...new Set([...props.watched.alarmNames, props.promotionTarget.healthAlarmName])] },
      },
      targets: [new targets.LambdaFunction(this.function)],
    });
    new events.Rule(this, 'BakeStarted', {
      description: 'The Bake approval started: the bake begins',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change'],
        resources: [pipeline.pipelineArn],
        detail: { pipeline: [pipeline.pipelineName], stage: [stageName], action: [actionName], state: ['STARTED'] },
      },
      targets: [new targets.LambdaFunction(this.function)],
    });
    new events.Rule(this, 'EveryMinute', {
      description: 'Reconciles every pending Bake approval; catches lost and late alarm events',
      schedule: events.Schedule.rate(cdk.Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function)],
    });
    this.allowAlarmEventsFrom(sourceAccounts.filter((a) => a !== stack.account));

    // A gate that keeps failing decides nothing: builds would wait until their approvals time out.
    new cloudwatch.Alarm(this, 'FailingAlarm', {
      alarmDescription: 'The bake gate failed in 3 of the last 5 minutes: pending bakes are not being decided.',
      metric: this.function.metricErrors({ period: cdk.Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cloudwatchActions.SnsAction(this.topic));
  }

  /** Only this pipeline's state and this approval, only the two reader roles, only this pipeline's controls. */
  private grantGateCalls(pipeline: codepipeline.Pipeline, stageName: string, actionName: string): void {
    const stack = cdk.Stack.of(this);
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['codepipeline:GetPipelineState'], resources: [pipeline.pipelineArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['codepipeline:PutApprovalResult'], resources: [`${pipeline.pipelineArn}/${stageName}/${actionName}`] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.readerRoleArns.watched, this.readerRoleArns.promotionTarget] }),
    );
    const path = controlsHierarchy(pipeline.pipelineName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path.slice(1) }), stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path.slice(1)}/*` })],
      }),
    );
    this.topic.grantPublish(this.role);
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Wildcards only below this pipeline's own control parameters (/tollgate/<pipeline>/*), in the function's own log group's streams, and KMS data keys of the topic's key.",
        },
      ],
      true,
    );
  }

  /** Lets the target accounts put alarm state changes, and only those, on this account's default bus. */
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
    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the bake gate notifications',
      enableKeyRotation: true,
    });
    // CloudWatch publishes the gate's failure alarm to the topic, so it must be able to use the key.
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    return new sns.Topic(this, 'Topic', {
      topicName,
      displayName: 'Tollgate release events: rejections, break-glass promotions, gate failures',
      masterKey: key,
      enforceSSL: true,
    });
  }
}
