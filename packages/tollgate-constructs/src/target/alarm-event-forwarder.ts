import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';

export interface AlarmEventForwarderProps {
  /** The alarms whose state changes are forwarded; no others leave the account. */
  readonly alarmNames: string[];
  /** ARN of the event bus that receives them, in another account or region. */
  readonly targetEventBusArn: string;
}

/**
 * Forwards "CloudWatch Alarm State Change" events of some alarms to an event bus elsewhere, so that a gate in
 * another account hears of an alarm within seconds. The receiving bus's policy must let this account put
 * events; EventBridge publishes through a role this construct creates.
 */
export class AlarmEventForwarder extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmEventForwarderProps) {
    super(scope, id);
    if (props.alarmNames.length === 0) throw new Error('AlarmEventForwarder needs at least one alarm name');
    this.rule = new events.Rule(this, 'Rule', {
      description: "Forwards state changes of the alarms a release gate watches to the gate's event bus",
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: props.alarmNames },
      },
      targets: [new targets.EventBus(events.EventBus.fromEventBusArn(this, 'Target', props.targetEventBusArn))],
    });
  }
}
