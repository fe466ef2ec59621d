import * as path from 'node:path';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { FunctionLogsProps, functionDefaults, LAMBDA_RUNTIME } from '@tollgate/constructs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface NodejsLambdaProps extends Omit<nodejs.NodejsFunctionProps, 'entry' | 'runtime'>, FunctionLogsProps {
  /** Path of the handler file, relative to the repository root, e.g. `lambdas/api/index.ts`. */
  readonly entry: string;
}

/**
 * A Node.js function bundled by esbuild (never Docker), on ARM, with JSON logs in a log group of its own
 * whose retention is set, so every function in the release system looks and logs alike.
 */
export class NodejsLambda extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: NodejsLambdaProps) {
    const { entry, logRetention, logRemovalPolicy, ...rest } = props;
    super(scope, id, {
      ...functionDefaults(scope, id, { logRetention, logRemovalPolicy }),
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
