import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { PriceOverrides } from '../domain/release-cost';
import { PipelineShape } from '../domain/release-facts';
import { RECORDED_DETAIL_TYPES } from '../lambdas/release-recorder/core';
import { RECORDER_SETTINGS_ENV, RECORDER_TABLE_ENV, RECORDER_TOPIC_ENV, RecorderDeploySettings } from '../lambdas/release-recorder/settings';
import { functionDefaults, LAMBDA_RUNTIME } from '../function-defaults';
import { DeadLetters } from './dead-letters';
import { ReleaseRecordTable } from './release-record-table';

/** The recorder's handler, bundled by the package's build into `lib/assets/release-recorder` (as the bake gate's). */
export const RELEASE_RECORDER_ASSET = path.join(__dirname, '..', '..', 'lib', 'assets', 'release-recorder');

export interface ReleaseRecorderProps {
  /** The pipeline whose executions are recorded. */
  readonly pipeline: codepipeline.IPipeline;
  /** Where the records go: the pipeline's release record table. */
  readonly table: ReleaseRecordTable;
  /**
   * The pipeline's stages, promotion stages and gate approvals (the pipeline manifest's): what makes an execution
   * released (its last promotion stage succeeded) and which actions are gates.
   */
  readonly shape: PipelineShape;
  /** Where a release is announced ("Released v1.4.17 (commit abc1234) to prod at …"); it also pages on dead letters. */
  readonly topic: sns.ITopic;
  /**
   * Prices the emitted release cost is computed at.
   *
   * @default - the list prices (`LIST_PRICES` of release-cost.ts)
   */
  readonly prices?: PriceOverrides;
}

/**
 * Every execution of a pipeline on the record: its release record table ({@link ReleaseRecordTable}) written only
 * by the recording function, which an EventBridge rule invokes with each of the pipeline's execution, stage and
 * action state changes. The function emits the release metrics (namespace `Tollgate/Releases`) and announces each
 * release on the topic.
 */
export class ReleaseRecorder extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly rule: events.Rule;
  /** What still failed after EventBridge's and Lambda's retries; pages on the topic. */
  readonly deadLetters: DeadLetters;

  constructor(scope: Construct, id: string, props: ReleaseRecorderProps) {
    super(scope, id);
    const { pipeline, topic } = props;
    this.role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Release recorder of pipeline ${pipeline.pipelineName}` });
    this.deadLetters = new DeadLetters(this, 'DeadLetters', { owner: 'the release recorder' });
    const settings: RecorderDeploySettings = { pipelineName: pipeline.pipelineName, shape: { stages: props.shape.stages, promotionStages: props.shape.promotionStages, gateActions: props.shape.gateActions }, prices: props.prices };
    this.function = new lambda.Function(this, 'Function', {
      ...functionDefaults(this, 'Function'),
      runtime: LAMBDA_RUNTIME,
      code: lambda.Code.fromAsset(RELEASE_RECORDER_ASSET),
      handler: 'index.handler',
      description: `Release recorder: writes each execution of ${pipeline.pipelineName} to its release record`,
      role: this.role,
      timeout: cdk.Duration.seconds(60),
      environment: {
        [RECORDER_SETTINGS_ENV]: cdk.Stack.of(this).toJsonString(settings),
        [RECORDER_TABLE_ENV]: props.table.table.tableName,
        [RECORDER_TOPIC_ENV]: topic.topicArn,
      },
      retryAttempts: 2,
      deadLetterQueue: this.deadLetters.queue,
    });
    this.function.logGroup.grantWrite(this.role);
    this.rule = new events.Rule(this, 'PipelineEvents', {
      description: `Every execution, stage and action state change of ${pipeline.pipelineName}: recorded in its release record`,
      eventPattern: {
        source: ['aws.codepipeline'],
        detailType: Object.values(RECORDED_DETAIL_TYPES),
        resources: [pipeline.pipelineArn],
        detail: { pipeline: [pipeline.pipelineName] },
      },
      // An event EventBridge cannot deliver is retried for a day, then kept with the function's failures.
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 185, maxEventAge: cdk.Duration.hours(24), deadLetterQueue: this.deadLetters.queue })],
    });
    this.deadLetters.pageOn(topic);
    this.grant(props);
  }

  /** Its own records, this pipeline's executions, the topic. */
  private grant({ pipeline, topic, table }: ReleaseRecorderProps): void {
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [table.table.tableArn] }));
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions', 'codepipeline:ListPipelineExecutions'],
        resources: [pipeline.pipelineArn],
      }),
    );
    topic.grantPublish(this.role);
    NagSuppressions.addResourceSuppressions(
      this.role,
      [{ id: 'AwsSolutions-IAM5', reason: "Wildcards only in the function's own log group's streams and the KMS data keys of the topic's key." }],
      true,
    );
  }
}
