import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * Physical name of the topic; a fixed name lets operator tools find it.
   *
   * @default - a generated name
   */
  readonly topicName?: string;
  /** What the topic carries, shown to subscribers. */
  readonly displayName: string;
}

/**
 * An SNS topic, encrypted with a key of its own, that this account's CloudWatch alarms can publish to: the
 * key policy and the topic policy both allow `cloudwatch.amazonaws.com`, and only on behalf of this account's
 * alarms (`aws:SourceAccount`, `aws:SourceArn`). Without them an alarm on an encrypted topic with a policy of
 * its own pages nobody ("Encrypting SNS topics" and CloudWatch's "Using Amazon SNS notifications").
 */
export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = cdk.Stack.of(this);
    this.key = new kms.Key(this, 'Key', { description: `Encrypts ${props.displayName}`, enableKeyRotation: true });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME }) },
    };
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    this.topic = new sns.Topic(this, 'Resource', {
      topicName: props.topicName,
      displayName: props.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces the default one: CloudWatch needs an allow.
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
  }
}
