import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

export interface ArtifactRetentionProps {
  /**
   * How long an overwritten artifact version is kept: the window in which an overwrite can be undone.
   *
   * @default cdk.Duration.days(90)
   */
  readonly noncurrentVersionExpiration?: cdk.Duration;
}

/**
 * Keeps what the pipeline built, since rollback (`RollbackStage`, `onFailure: ROLLBACK`) redeploys the
 * artifacts of an earlier execution from the artifact bucket.
 *
 * Changes the pipeline's own bucket in place (no replacement, so artifacts of running and past executions stay
 * where CodePipeline expects them): versioning, so a later write to an artifact's key leaves the earlier version
 * recoverable; a bucket policy that lets nobody delete an object or a version (only the lifecycle rule expires
 * old versions); and bucket and KMS key retained together, since a retained bucket whose key is deleted is
 * unreadable. Why neither object lock nor per-execution write scoping: docs/trust-model.md.
 */
export function retainArtifacts(pipeline: codepipeline.Pipeline, props: ArtifactRetentionProps = {}): void {
  const bucket = pipeline.artifactBucket as s3.Bucket;
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  cfnBucket.versioningConfiguration = { status: 'Enabled' };
  cfnBucket.lifecycleConfiguration = {
    rules: [
      {
        id: 'ExpireOverwrittenArtifacts',
        status: 'Enabled',
        noncurrentVersionExpiration: { noncurrentDays: (props.noncurrentVersionExpiration ?? cdk.Duration.days(90)).toDays() },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      },
    ],
  };
  cfnBucket.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'NoArtifactIsDeleted',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
      resources: [bucket.arnForObjects('*')],
    }),
  );
  const key = bucket.encryptionKey?.node.defaultChild as kms.CfnKey | undefined;
  if (!key) throw new Error(`${pipeline.node.path}: the artifact bucket has no KMS key of its own to retain`);
  key.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
}
