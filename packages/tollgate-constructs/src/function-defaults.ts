import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The runtime every Tollgate function uses: the newest Node.js Lambda offers (cdk-nag AwsSolutions-L1). */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface FunctionLogsProps {
  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   *
   * @default cdk.RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: cdk.RemovalPolicy;
}

/**
 * What every function of the release system shares, whether bundled at synth (the app's `NodejsLambda`) or
 * shipped pre-bundled (the bake gate's): ARM, 256 MB, 30 s, JSON logs in a log group of its own, created in
 * `scope` as `<id>Logs`, whose retention is set.
 */
export function functionDefaults(scope: Construct, id: string, props: FunctionLogsProps = {}) {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.logRemovalPolicy ?? cdk.RemovalPolicy.RETAIN,
  });
  return {
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: cdk.Duration.seconds(30),
    loggingFormat: lambda.LoggingFormat.JSON,
    logGroup,
  };
}
