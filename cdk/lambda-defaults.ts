import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

/** The runtime every Tollgate function uses: the newest Node.js Lambda offers (cdk-nag AwsSolutions-L1). */
const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface NodejsLambdaProps extends Omit<nodejs.NodejsFunctionProps, 'entry' | 'runtime'> {
  /** Path of the handler file, relative to the repository root, e.g. `lambdas/api/index.ts`. */
  readonly entry: string;
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
 * A Node.js function bundled by esbuild (never Docker), on ARM, with JSON logs in a log group of its own
 * whose retention is set, so every function in the release system looks and logs alike.
 */
export class NodejsLambda extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: NodejsLambdaProps) {
    const { entry, logRetention, logRemovalPolicy, ...rest } = props;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: logRemovalPolicy ?? cdk.RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: cdk.Duration.seconds(30),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      ...rest,
      entry: path.join(__dirname, '..', entry),
      runtime: LAMBDA_RUNTIME,
      bundling: { minify: true, sourceMap: true, logLevel: nodejs.LogLevel.ERROR, ...rest.bundling },
    });
    if (props.role) {
      // A role of the caller's gets no AWSLambdaBasicExecutionRole: it still needs to write the function's logs.
      this.logGroup.grantWrite(props.role);
    } else {
      NagSuppressions.addResourceSuppressions(
        this,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
            appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
          },
        ],
        true,
      );
    }
  }
}
