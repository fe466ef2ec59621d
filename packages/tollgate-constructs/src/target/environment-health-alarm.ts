import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';

export interface EnvironmentHealthAlarmProps {
  /** Physical name of the composite alarm; gates and on-call find the environment's health by it. */
  readonly alarmName: string;
  /** Every alarm whose firing means the environment is unhealthy. */
  readonly alarms: cloudwatch.IAlarm[];
  /**
   * Description shown on the alarm.
   *
   * @default - lists the child alarms
   */
  readonly description?: string;
}

/**
 * One alarm, and so one state history, for the health of a whole environment: a composite alarm that is in
 * ALARM while any of its child alarms is. A gate then reads one alarm however many alarms the service grows.
 */
export class EnvironmentHealthAlarm extends Construct {
  readonly alarm: cloudwatch.CompositeAlarm;

  constructor(scope: Construct, id: string, props: EnvironmentHealthAlarmProps) {
    super(scope, id);
    if (props.alarms.length === 0) {
      throw new Error(`EnvironmentHealthAlarm ${props.alarmName} needs at least one child alarm`);
    }
    this.alarm = new cloudwatch.CompositeAlarm(this, 'Resource', {
      compositeAlarmName: props.alarmName,
      alarmRule: cloudwatch.AlarmRule.anyOf(...props.alarms.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
      alarmDescription:
        props.description ?? `Environment health: in ALARM while any of ${props.alarms.length} service alarms is.`,
    });
  }
}
