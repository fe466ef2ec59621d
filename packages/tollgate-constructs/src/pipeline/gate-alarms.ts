import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { GATE_METRICS, GATE_METRICS_NAMESPACE } from '../lambdas/bake-gate/settings';

export interface GateAlarmsProps {
  /** The gate function watched. */
  readonly function: lambda.IFunction;
  /** The pipeline's name, the `Pipeline` dimension of the metrics the gate emits. */
  readonly pipelineName: string;
  /** Where each alarm pages. */
  readonly topic: sns.ITopic;
  /** How long a gate-owned approval may wait at the most (bake, evidence grace, hold): longer means stuck. */
  readonly longestWait: cdk.Duration;
}

/**
 * A gate that fails, stops or gets stuck decides nothing, and builds would wait until their approvals time out in
 * silence: three alarms on the topic, for a failing gate (errors in 3 of 5 minutes), a dead one (no completed check
 * in 5 minutes) and a stuck approval (one pending longer than any bake allows). The dead-letter alarm is
 * `DeadLetters.pageOn`'s.
 *
 * Its alarms are created directly in `scope` (the `BakeGate`: `FailingAlarm`, `HeartbeatAlarm`,
 * `StuckApprovalAlarm`), not in a construct of their own, so that their logical IDs stay those deployed before
 * the bake gate was split into parts.
 */
export class GateAlarms {
  readonly failing: cloudwatch.Alarm;
  readonly heartbeat: cloudwatch.Alarm;
  readonly stuckApproval: cloudwatch.Alarm;

  constructor(scope: Construct, props: GateAlarmsProps) {
    const page = new cloudwatchActions.SnsAction(props.topic);
    const pulse = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({
        namespace: GATE_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { Pipeline: props.pipelineName, service: 'tollgate-bake-gate' },
        period: cdk.Duration.minutes(1),
        statistic,
      });
    this.failing = new cloudwatch.Alarm(scope, 'FailingAlarm', {
      alarmDescription: 'The bake gate failed in 3 of the last 5 minutes: pending bakes are not being decided.',
      metric: props.function.metricErrors({ period: cdk.Duration.minutes(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // The schedule checks every minute whether or not a bake waits, so five silent minutes mean a dead gate
    // (not invoked, timing out, or failing before it finishes): missing data is breaching here on purpose.
    this.heartbeat = new cloudwatch.Alarm(scope, 'HeartbeatAlarm', {
      alarmDescription: 'The bake gate completed no check in 5 minutes: it is not running, or fails before it decides.',
      metric: pulse(GATE_METRICS.checks, 'Sum'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const longestWait = props.longestWait.toMinutes();
    this.stuckApproval = new cloudwatch.Alarm(scope, 'StuckApprovalAlarm', {
      alarmDescription: `A bake approval has waited longer than any bake, evidence grace and hold allow (${longestWait} min): the gate is not deciding it.`,
      metric: pulse(GATE_METRICS.oldestPendingMinutes, 'Maximum'),
      threshold: longestWait,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    for (const alarm of [this.failing, this.heartbeat, this.stuckApproval]) alarm.addAlarmAction(page);
  }
}
