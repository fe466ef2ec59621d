import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ReleasePipeline } from './release-pipeline';

export interface StageRollbackProps {
  /** Name of the alarm, in the stage's account and region, whose ALARM after the stage rolls the stage back. */
  readonly alarmName: string;
  /** Region of the alarm. */
  readonly alarmRegion: string;
  /** ARN of a role in the stage's account that may read the alarm (see `StageAlarmReaderRole`); the pipeline assumes it. */
  readonly alarmReaderRoleArn: string;
  /**
   * How long after the stage succeeds the alarm is watched; whole minutes (CodePipeline's WaitTime unit).
   * Zero watches nothing: only a failure rolls the stage back.
   */
  readonly watchTime: cdk.Duration;
}

/**
 * Makes a pipeline stage roll back to the last successful release when it fails (`onFailure`), and when
 * the alarm fires within `watchTime` after it succeeded (`onSuccess` with a `CloudWatchAlarm` rule).
 *
 * CodePipeline rolls a stage back by re-running it with the artifacts of the most recent successful
 * execution; on the very first execution there is none, and the stage simply stays failed.
 */
export function rollBackStageOnAlarm(release: ReleasePipeline, stageName: string, props: StageRollbackProps): void {
  const seconds = props.watchTime.toSeconds();
  if (seconds % 60 !== 0) {
    throw new Error(`stage ${stageName}: the alarm watch time must be a whole number of minutes, got ${props.watchTime}`);
  }
  const onFailure = { result: codepipeline.Result.ROLLBACK };
  if (seconds === 0) {
    release.setStageConditions(stageName, { onFailure });
    return;
  }
  // The CDK Rule grants nothing: the pipeline role needs to assume the reader role, which reads the alarm.
  release.codePipeline.role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['sts:AssumeRole'],
    resources: [props.alarmReaderRoleArn],
  }));
  const watchAlarm = new codepipeline.Rule({
    name: `${stageName}HealthyAfterDeploy`,
    provider: 'CloudWatchAlarm',
    version: '1',
    region: props.alarmRegion,
    // CDK types the role as a Role of this app but renders only its ARN; this one lives in the stage's account.
    role: iam.Role.fromRoleArn(release, `${stageName}AlarmReader`, props.alarmReaderRoleArn, { mutable: false }) as iam.Role,
    configuration: { AlarmName: props.alarmName, WaitTime: String(seconds / 60) },
  });
  release.setStageConditions(stageName, {
    onSuccess: { conditions: [{ result: codepipeline.Result.ROLLBACK, rules: [watchAlarm] }] },
    onFailure,
  });
}
