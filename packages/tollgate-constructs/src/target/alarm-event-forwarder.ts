import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';

export interface AlarmEventForwarderProps {
  /** The alarms whose state changes are forwarded; no others leave the account. */
  readonly alarmNames: string[];
  /**
   * ARN of the event bus that receives them, in another account or region. It names the receiving bus's region
   * (the gate's, not this stack's): EventBridge delivers to an event bus in another Region when a rule targets
   * it by ARN (EventBridge User Guide, "Sending and receiving events between AWS Regions").
   */
  readonly targetEventBusArn: string;
}

/**
 * Forwards "CloudWatch Alarm State Change" events of some alarms to an event bus elsewhere, so that a gate in
 * another account, or another region, hears of an alarm within seconds. The receiving bus's policy must let this
 * account put events; EventBridge publishes through a role this construct creates (a target bus in another
 * Region requires one).
 */
export class AlarmEventForwarder extends Construct {
  readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: AlarmEventForwarderProps) {
    super(scope, id);
    if (props.alarmNames.length === 0) throw new Error('AlarmEventForwarder needs at least one alarm name');
    // A bus ARN without a fixed region would resolve to this stack's region: a gate elsewhere would hear nothing.
    if (!/^arn:[^:]+:events:[a-z0-9-]+:[^:]+:event-bus\/.+$/.test(props.targetEventBusArn)) {
      throw new Error(`AlarmEventForwarder: targetEventBusArn must be an event bus ARN with its region spelled out, got ${props.targetEventBusArn}`);
    }
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
