import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface DeadLettersProps {
  /** Whose failed invocations the queue keeps, e.g. `the bake gate`; named in the alarm. */
  readonly owner: string;
}

/**
 * The dead-letter queue of a function invoked asynchronously (by a schedule or an event): what still failed
 * after Lambda's retries is kept for 14 days, encrypted, and {@link pageOn} raises an alarm when it arrives.
 */
export class DeadLetters extends Construct {
  readonly queue: sqs.Queue;
  private readonly owner: string;

  constructor(scope: Construct, id: string, props: DeadLettersProps) {
    super(scope, id);
    this.owner = props.owner;
    this.queue = new sqs.Queue(this, 'Resource', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: cdk.Duration.days(14) });
    NagSuppressions.addResourceSuppressions(this.queue, [{ id: 'AwsSolutions-SQS3', reason: `This queue is itself the dead-letter queue of ${props.owner}.` }]);
  }

  /** An alarm, on the topic, as soon as an invocation lands here. */
  pageOn(topic: sns.ITopic): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'Alarm', {
      alarmDescription: `An invocation of ${this.owner} failed after its retries: an event was not handled.`,
      metric: this.queue.metricApproximateNumberOfMessagesVisible({ period: cdk.Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.SnsAction(topic));
    return alarm;
  }
}
