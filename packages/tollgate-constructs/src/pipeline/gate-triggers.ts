import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export interface GateTriggersProps {
  /** The gate function every trigger invokes. */
  readonly function: lambda.IFunction;
  /** The gated pipeline, whose gate-owned approvals starting invoke the function. */
  readonly pipeline: codepipeline.IPipeline;
  /** The gate-owned approvals, by stage and action name. */
  readonly approvals: readonly { readonly stageName: string; readonly actionName: string }[];
  /** The watched environments: their accounts and the alarms whose state changes invoke the function. */
  readonly environments: readonly { readonly account: string; readonly alarmNames: readonly string[] }[];
}

/**
 * What invokes the bake gate: a watched alarm changing state (forwarded from the environments' accounts to this
 * account's default event bus, which lets exactly those events in), a gate-owned approval starting, and a
 * schedule every minute that reconciles whatever else happened.
 *
 * Its resources are created directly in `scope` (the `BakeGate`: `AlarmStateChanges`, `BakeStarted`,
 * `EveryMinute`, `DefaultBus`, `AllowAlarmEventsFrom<account>`), not in a construct of their own, so that their
 * construct paths, logical IDs and bus policy statement IDs stay those deployed before the bake gate was split.
 */
export class GateTriggers {
  constructor(scope: Construct, props: GateTriggersProps) {
    const { pipeline } = props;
    const target = new targets.LambdaFunction(props.function);
    // Halt fast: state changes of the watched alarms, forwarded from the environments' accounts.
    const accounts = [...new Set(props.environments.map((e) => e.account))];
    new events.Rule(scope, 'AlarmStateChanges', {
      description: 'Watched alarm state changes: a watched alarm in ALARM rejects the bakes of its environment at once',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        account: accounts,
        detail: { alarmName: [...new Set(props.environments.flatMap((e) => e.alarmNames))] },
      },
      targets: [target],
    });
    new events.Rule(scope, 'BakeStarted', {
      description: 'A gate-owned approval started: a bake begins, or a build is at a stage entry',
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: ['CodePipeline Action Execution State Change'],
        resources: [pipeline.pipelineArn],
        detail: {
          pipeline: [pipeline.pipelineName],
          stage: [...new Set(props.approvals.map((b) => b.stageName))],
          action: [...new Set(props.approvals.map((b) => b.actionName))],
          state: ['STARTED'],
        },
      },
      targets: [target],
    });
    new events.Rule(scope, 'EveryMinute', {
      description: 'Reconciles every pending bake approval; catches lost and late alarm events; pays owed announcements',
      schedule: events.Schedule.rate(cdk.Duration.minutes(1)),
      targets: [target],
    });
    allowAlarmEventsFrom(scope, accounts.filter((a) => a !== cdk.Stack.of(scope).account));
  }
}

/** Lets the environments' accounts put alarm state changes, and only those, on this account's default bus. */
function allowAlarmEventsFrom(scope: Construct, accounts: string[]): void {
  const bus = events.EventBus.fromEventBusName(scope, 'DefaultBus', 'default');
  for (const account of accounts) {
    // Unique per pipeline and account on the shared default bus.
    const statementId = `${cdk.Names.uniqueId(scope).slice(-40)}-${account}`;
    const statement = new iam.PolicyStatement({
      sid: statementId,
      principals: [new iam.AccountPrincipal(account)],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      conditions: { StringEquals: { 'events:source': 'aws.cloudwatch', 'events:detail-type': 'CloudWatch Alarm State Change' } },
    });
    // EventBusPolicy renders the statement as given, so it takes the JSON (as EventBus.addToResourcePolicy does).
    new events.EventBusPolicy(scope, `AllowAlarmEventsFrom${account}`, { eventBus: bus, statementId, statement: statement.toJSON() });
  }
}
