import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { RELEASE_RECORD_KEY, releaseRecordTableName } from '../domain/release-record';
import { commitVersionKey, releaseCounterKey } from '../domain/release-version';

export interface ReleaseRecordTableProps {
  /** The pipeline whose executions it records: the table is `<pipelineName>-ReleaseRecord`. */
  readonly pipelineName: string;
}

/**
 * The release record table, `<pipelineName>-ReleaseRecord` (partition key `executionId`): one item per execution,
 * written by the `ReleaseRecorder`, and the Build's release version items (`counter#<major.minor>`,
 * `version#<commitId>`). Kept when the stack is deleted or the pipeline redeployed, with point-in-time recovery. A
 * construct of its own because the Build step, made before the pipeline exists, and the recorder, made after it,
 * both use it.
 */
export class ReleaseRecordTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: ReleaseRecordTableProps) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Resource', {
      tableName: releaseRecordTableName(props.pipelineName),
      partitionKey: { name: RELEASE_RECORD_KEY, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The release history and the version counters outlive any redeploy, or deletion, of the pipeline stack.
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
  }

  /**
   * What the Build may do to assign a release version: read, create and count only the version items, never a
   * record. `dynamodb:LeadingKeys` limits the partition keys an item-level call may touch (DynamoDB Developer Guide,
   * "Using IAM policy conditions for fine-grained access control").
   */
  versionAssignmentStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [releaseCounterKey('*'), commitVersionKey('*')] } },
    });
  }
}
