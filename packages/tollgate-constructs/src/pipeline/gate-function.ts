import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RELEASE_CALENDAR_ENV } from '../lambdas/bake-gate/release-window';
import { GATE_SETTINGS_ENV, GATE_STATE_TABLE_ENV, GATE_TOPIC_ENV, GateSettings } from '../lambdas/bake-gate/settings';
import { CalendarSettings } from '../domain/release-calendar';
import { controlsHierarchy } from '../domain/pipeline-controls';
import { functionDefaults, LAMBDA_RUNTIME } from '../function-defaults';
import { DeadLetters } from './dead-letters';

/**
 * The gate's handler (`src/lambdas/bake-gate/index.ts`), bundled by the package's build into `lib/assets/bake-gate`
 * and shipped in the package, so that an app using the construct synthesizes with no esbuild and no source. The
 * path is from the package root, the same from `src/pipeline` (the package's own tests) and `lib/pipeline`.
 */
export const BAKE_GATE_ASSET = path.join(__dirname, '..', '..', 'lib', 'assets', 'bake-gate');

export interface GateFunctionProps {
  /** The gated pipeline: the function reads its state and history and answers its gate-owned approvals. */
  readonly pipeline: codepipeline.Pipeline;
  /** What the gate decides on: environments, bakes, entry checks, latencies (`src/lambdas/bake-gate/settings.ts`). */
  readonly settings: GateSettings;
  /** Where the gate announces; it may publish there. */
  readonly topic: sns.ITopic;
  /** What the gate remembers between checks; it may query, put and delete items there. */
  readonly stateTable: dynamodb.ITableV2;
  /** Physical name of the function's role, which the environments' reader roles trust. */
  readonly roleName: string;
  /**
   * When promotions may start, passed to the function as JSON.
   *
   * @default - no calendar: every time is a release window
   */
  readonly releaseCalendar?: CalendarSettings;
}

/**
 * The bake gate's function, its role and exactly what the role may do: read this pipeline's state and history,
 * answer its gate-owned approvals, assume the environments' reader roles, read this pipeline's controls, use its
 * own state table, publish on the topic. Failed invocations are retried twice, then kept in {@link deadLetters}.
 *
 * Its resources are created directly in `scope` (the `BakeGate`: `Role`, `DeadLetters`, `Function`), not in a
 * construct of its own, so that their construct paths and logical IDs stay those deployed before the bake gate
 * was split into parts: the role has a fixed name, and a new logical ID would make CloudFormation create a second
 * role of that name before deleting the first, which fails.
 */
export class GateFunction {
  readonly function: lambda.Function;
  /** The function's role; the environments' reader roles trust it. */
  readonly role: iam.Role;
  /** What still failed after Lambda's retries; {@link DeadLetters.pageOn} pages on its arrival. */
  readonly deadLetters: DeadLetters;

  constructor(scope: Construct, props: GateFunctionProps) {
    const { pipeline, settings } = props;
    this.role = new iam.Role(scope, 'Role', {
      roleName: props.roleName,
      description: `Bake gate of pipeline ${pipeline.node.path}`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.deadLetters = new DeadLetters(scope, 'DeadLetters', { owner: 'the bake gate' });
    this.function = new lambda.Function(scope, 'Function', {
      ...functionDefaults(scope, 'Function'),
      runtime: LAMBDA_RUNTIME,
      code: lambda.Code.fromAsset(BAKE_GATE_ASSET),
      handler: 'index.handler',
      description: `Bake gate: approves or rejects the bakes of the pipeline (${settings.bakes.map((b) => `${b.stageName}/${b.actionName}`).join(', ')})`,
      role: this.role,
      // Room for the SDK's retries with backoff; the schedule starts the next check a minute later anyway.
      timeout: cdk.Duration.seconds(60),
      environment: {
        [GATE_SETTINGS_ENV]: cdk.Stack.of(scope).toJsonString(settings),
        [GATE_TOPIC_ENV]: props.topic.topicArn,
        [GATE_STATE_TABLE_ENV]: props.stateTable.tableName,
        ...(props.releaseCalendar ? { [RELEASE_CALENDAR_ENV]: JSON.stringify(props.releaseCalendar) } : {}),
      },
      // A failed check is retried twice; an older event is no news, the schedule has checked since.
      retryAttempts: 2,
      maxEventAge: cdk.Duration.minutes(10),
      // What still failed after the retries is kept, and its arrival pages (GateAlarms).
      deadLetterQueue: this.deadLetters.queue,
    });
    // The role is ours, so the function gets no AWSLambdaBasicExecutionRole: it still needs to write its logs.
    this.function.logGroup.grantWrite(this.role);
    this.grantGateCalls(scope, props);
  }

  /** Only this pipeline's state, history and gate-owned approvals, the reader roles, this pipeline's controls, its own state. */
  private grantGateCalls(scope: Construct, { pipeline, settings, topic, stateTable }: GateFunctionProps): void {
    const stack = cdk.Stack.of(scope);
    const owned = [...settings.bakes, ...settings.entryChecks];
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['codepipeline:GetPipelineState', 'codepipeline:ListActionExecutions'], resources: [pipeline.pipelineArn] }),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:PutApprovalResult'],
        resources: owned.map((b) => `${pipeline.pipelineArn}/${b.stageName}/${b.actionName}`),
      }),
    );
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...new Set(settings.environments.map((e) => e.readerRoleArn))] }));
    const path = controlsHierarchy(pipeline.pipelineName);
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParametersByPath'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: path.slice(1) }), stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `${path.slice(1)}/*` })],
      }),
    );
    // Who last wrote each control (LastModifiedUser). The Service Authorization Reference (Actions defined by
    // AWS Systems Manager) lists DescribeParameters with no resource type: it accepts only "*".
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['ssm:DescribeParameters'], resources: ['*'] }));
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [stateTable.tableArn] }));
    topic.grantPublish(this.role);
    NagSuppressions.addResourceSuppressions(
      this.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Wildcards only below this pipeline's own control parameters (/tollgate/<pipeline>/*), in the function's own log group's streams, KMS data keys of the topic's key, and ssm:DescribeParameters, which supports no resource-level permissions and returns only metadata (who last wrote a control).",
        },
      ],
      true,
    );
  }
}
