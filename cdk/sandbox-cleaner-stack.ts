import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { SANDBOX_TAG } from '../lambdas/shared/sandbox-tags';
import { NodejsLambda } from './lambda-defaults';
import { AlarmTopic, DeadLetters } from '@tollgate/constructs';

export interface SandboxCleanerStackProps extends cdk.StackProps {
  /** The prod account: the cleaner refuses to delete anything when it finds itself running there. */
  readonly prodAccount: string;
  /**
   * How often expired sandboxes are looked for.
   *
   * @default events.Schedule.rate(cdk.Duration.hours(1))
   */
  readonly schedule?: events.Schedule;
  /**
   * The CloudFormation service roles sandbox stacks were deployed with. DeleteStack reuses a stack's own role
   * to delete its resources, and the caller must be allowed to pass that role.
   *
   * @default - the CDK bootstrap's CloudFormation execution role of this account and region (default qualifier)
   */
  readonly stackRoleArns?: string[];
  /**
   * Where the cleaner's failures page (the platform team subscribes to it).
   *
   * @default - a new topic `Tollgate-sandbox-cleaner-alerts`, encrypted, that this account's alarms can publish to
   */
  readonly alertTopic?: sns.ITopic;
}

/**
 * Deployed once into the sandbox account by the platform team: a function that deletes sandbox stacks whose
 * `tollgate:expires` tag has passed, on a schedule. It can delete only stacks that carry the sandbox tag (IAM
 * enforces it as well as the code) and touches no resource itself: CloudFormation deletes them with each
 * stack's own role.
 */
export class SandboxCleanerStack extends cdk.Stack {
  readonly cleaner: NodejsLambda;
  readonly schedule: events.Rule;
  /** Where the cleaner's failures are announced: a cleaner that fails leaves expired sandboxes running. */
  readonly alertTopic: sns.ITopic;

  constructor(scope: Construct, id: string, props: SandboxCleanerStackProps) {
    super(scope, id, props);
    if (props.env?.account && props.env.account === props.prodAccount) {
      throw new Error(`${id}: the sandbox cleaner must not be deployed into the prod account ${props.prodAccount}`);
    }

    const deadLetters = new DeadLetters(this, 'CleanerDeadLetters', { owner: 'the sandbox cleaner' });
    this.cleaner = new NodejsLambda(this, 'Cleaner', {
      entry: 'lambdas/sandbox-cleaner/index.ts',
      description: 'Deletes sandbox stacks whose tollgate:expires tag has passed',
      timeout: cdk.Duration.minutes(5),
      environment: { PROD_ACCOUNT: props.prodAccount },
      // A run that still fails after the retries is kept, and its arrival pages (below).
      deadLetterQueue: deadLetters.queue,
    });
    this.cleaner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ListStacks',
        actions: ['cloudformation:DescribeStacks'],
        // Listing every stack of the region has no narrower resource.
        resources: ['*'],
      }),
    );
    this.cleaner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DeleteSandboxStacksOnly',
        actions: ['cloudformation:DeleteStack'],
        resources: [this.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: '*' })],
        // Defence in depth behind the code: a stack without the sandbox tag cannot be deleted at all.
        conditions: { Null: { [`aws:ResourceTag/${SANDBOX_TAG}`]: 'false' } },
      }),
    );
    const qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    this.cleaner.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReuseStackRoles',
        actions: ['iam:PassRole'],
        resources: props.stackRoleArns ?? [
          this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: `cdk-${qualifier}-cfn-exec-role-${this.account}-${this.region}` }),
        ],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }),
    );

    this.schedule = new events.Rule(this, 'Schedule', {
      description: 'Runs the sandbox cleaner',
      schedule: props.schedule ?? events.Schedule.rate(cdk.Duration.hours(1)),
      targets: [new targets.LambdaFunction(this.cleaner)],
    });

    this.alertTopic = props.alertTopic ?? new AlarmTopic(this, 'Alerts', { topicName: 'Tollgate-sandbox-cleaner-alerts', displayName: 'Tollgate sandbox cleaner failures' }).topic;
    new cloudwatch.Alarm(this, 'FailingAlarm', {
      alarmDescription: 'The sandbox cleaner failed: expired sandboxes are not being deleted (and keep costing).',
      // One run an hour: any error in the last two hours is a failed run.
      metric: this.cleaner.metricErrors({ period: cdk.Duration.hours(1), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new cloudwatchActions.SnsAction(this.alertTopic));
    deadLetters.pageOn(this.alertTopic);

    NagSuppressions.addResourceSuppressions(
      this.cleaner,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'DescribeStacks of all stacks needs Resource "*", and DeleteStack must reach stacks not yet named, so it is limited to stacks carrying the sandbox tag instead.',
          appliesTo: ['Resource::*', { regex: '/^Resource::arn:[^:]+:cloudformation:[^:]*:[^:]*:stack\\/\\*$/' }],
        },
      ],
      true,
    );
  }
}
