import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';

export interface FunctionLogRetentionProps {
  /**
   * How long the logs of functions that CDK creates for itself are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly retention?: logs.RetentionDays;
}

/**
 * Gives every Lambda function without a log group of its own (CDK's custom-resource providers, e.g. the one that
 * strips the VPC's default security group) a log group with a retention. Without one, Lambda creates
 * `/aws/lambda/<name>` on first run, which never expires and outlives the stack.
 *
 * The log group is created as a child of the function, so Aspects that run after this one (cdk-nag) still visit it.
 * It is destroyed with the stack: it only holds logs of a deploy-time helper.
 */
export class FunctionLogRetention implements cdk.IAspect {
  constructor(private readonly props: FunctionLogRetentionProps = {}) {}

  visit(node: IConstruct): void {
    if (!(node instanceof cdk.CfnResource) || node.cfnResourceType !== 'AWS::Lambda::Function') return;
    if (hasLogGroup(node)) return;
    const logGroup = new logs.LogGroup(node, 'LogRetention', {
      retention: this.props.retention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    node.addPropertyOverride('LoggingConfig.LogGroup', logGroup.logGroupName);
  }
}

function hasLogGroup(fn: cdk.CfnResource): boolean {
  if (fn instanceof lambda.CfnFunction) {
    const config = fn.loggingConfig as lambda.CfnFunction.LoggingConfigProperty | undefined;
    return config?.logGroup !== undefined;
  }
  // CDK's CustomResourceProvider renders a plain CfnResource; its properties are only reachable this way.
  const properties = (fn as unknown as { _cfnProperties?: { LoggingConfig?: { LogGroup?: unknown } } })._cfnProperties;
  return properties?.LoggingConfig?.LogGroup !== undefined;
}
