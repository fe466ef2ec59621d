import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface AlarmReaderRoleProps {
  /** Physical name of the role, so that a gate in another account can build its ARN before it exists. */
  readonly roleName: string;
  /** The account of the roles allowed to assume this one. */
  readonly trustedAccount: string;
  /**
   * The names of the roles in `trustedAccount` allowed to assume this one, each by its exact ARN: the release
   * gate's role, and the operator role through which `tollgate status` reads the alarms.
   */
  readonly trustedRoleNames: readonly string[];
  /**
   * A stack in this account and region whose status the gate may read (DescribeStacks), to tell an update
   * made outside the pipeline.
   *
   * @default - none
   */
  readonly stackName?: string;
}

/**
 * A read-only role in a target account through which a release gate (and on-call's status) elsewhere reads alarm states, alarm
 * history, metrics and one stack's status, and nothing else.
 *
 * The trust names the account root with an `aws:PrincipalArn` condition rather than the role ARN as
 * principal: IAM would pin an ARN principal to the role's unique ID, so a gate role that is deleted and
 * created again (same name) would be locked out until this stack is redeployed, and that redeployment
 * would need the gate. Only a principal whose ARN is exactly one of the trusted roles can assume it either way.
 */
export class AlarmReaderRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: AlarmReaderRoleProps) {
    super(scope, id);
    const trustedRoleArns = props.trustedRoleNames.map((name) => `arn:${cdk.Aws.PARTITION}:iam::${props.trustedAccount}:role/${name}`);
    this.role = new iam.Role(this, 'Resource', {
      roleName: props.roleName,
      description: `Read-only alarm and metric access for roles ${props.trustedRoleNames.join(', ')} of account ${props.trustedAccount}`,
      assumedBy: new iam.AccountPrincipal(props.trustedAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': trustedRoleArns.length === 1 ? trustedRoleArns[0] : trustedRoleArns },
      }),
      maxSessionDuration: cdk.Duration.hours(1),
      inlinePolicies: {
        ReadAlarms: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:DescribeAlarmHistory', 'cloudwatch:GetMetricData'],
              resources: ['*'],
            }),
            ...(props.stackName
              ? [
                  new iam.PolicyStatement({
                    actions: ['cloudformation:DescribeStacks'],
                    resources: [cdk.Stack.of(this).formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${props.stackName}/*` })],
                  }),
                ]
              : []),
          ],
        }),
      },
    });
    NagSuppressions.addResourceSuppressions(this.role, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Read-only CloudWatch calls: GetMetricData has no resource-level permissions and DescribeAlarmHistory returns composite alarms only when allowed on *.',
        appliesTo: ['Resource::*'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'A stack ARN ends in an ID CloudFormation generates; this is the one named stack, read-only (DescribeStacks).',
        appliesTo: [{ regex: '/^Resource::arn:.*:cloudformation:.*:stack\\/[^/*]+\\/\\*$/g' }],
      },
    ]);
  }
}
