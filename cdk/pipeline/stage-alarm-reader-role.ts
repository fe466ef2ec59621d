import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface StageAlarmReaderRoleProps {
  /**
   * Physical name of the role. The pipeline lives in another account and cannot reference this stack, so it
   * rebuilds the ARN from the account and this name ({@link StageAlarmReaderRole.arn}).
   */
  readonly roleName: string;
  /** The account whose release pipeline may assume the role (its own policies must still allow it to). */
  readonly pipelineAccount: string;
  /** The alarms the pipeline may read. */
  readonly alarms: cloudwatch.IAlarm[];
}

/**
 * A role in a stage's account through which the release pipeline's stage conditions read that stage's alarms:
 * a CodePipeline `CloudWatchAlarm` rule with this role as its `RoleArn` watches an alarm in another account.
 * Only `DescribeAlarms`, only on the given alarms.
 *
 * Unlike the bake gate's reader role (trusted by one named role), this one trusts the pipeline's account:
 * the principal is CodePipeline's service role, whose name CloudFormation generates. In that account only a
 * principal whose own policy allows `sts:AssumeRole` on this role can use it.
 */
export class StageAlarmReaderRole extends Construct {
  /** The ARN a role of this name has in `account`. */
  static arn(account: string, roleName: string): string {
    return `arn:${cdk.Aws.PARTITION}:iam::${account}:role/${roleName}`;
  }

  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: StageAlarmReaderRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: `Lets the release pipeline in ${props.pipelineAccount} read this stage's alarms`,
      assumedBy: new iam.AccountPrincipal(props.pipelineAccount),
      maxSessionDuration: cdk.Duration.hours(1),
      inlinePolicies: {
        ReadAlarms: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: props.alarms.map((a) => a.alarmArn) }),
          ],
        }),
      },
    });
  }
}
