import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { lateStartMarginMinutes } from './bake-config';
import { AccountEnvironment, TollgateConfig } from './config';
import { releaseEventsTopicName } from '../lambdas/shared/pipeline-controls';
import { BakeGate } from './pipeline/bake-gate';
import { ReleasePipeline } from './pipeline/release-pipeline';
import { StageAlarmReaderRole } from './pipeline/stage-alarm-reader-role';
import { rollBackStageOnAlarm } from './pipeline/stage-rollback';
import { GateAccess } from './service/service-stack';
import { ServiceStage } from './service/service-stage';

export interface PipelineStackProps extends cdk.StackProps {
  readonly config: TollgateConfig;
}

/**
 * Tollgate's release of the sample service: the pipeline in the deployment account, promoting one build
 * through the Dev and Prod service stages in their own accounts, with a bake gate between them.
 */
export class PipelineStack extends cdk.Stack {
  readonly releasePipeline: ReleasePipeline;
  readonly devStage: ServiceStage;
  readonly prodStage: ServiceStage;
  readonly bakeGate: BakeGate;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { bake, deployment } = config;

    // Fixed names: each side of the cross-account trust must know the other's role before it exists.
    const gateRoleName = `${config.pipelineName}-BakeGate`;
    const readerRoleName = `${config.pipelineName}-AlarmReader`;
    const gateAccess = (env: AccountEnvironment, extraAlarmNames: string[]): GateAccess => ({
      gateAccount: deployment.account,
      gateRoleName,
      readerRoleName,
      // Alarm events of an environment in the pipeline's own account and region are on its bus already.
      eventBusArn:
        env.account === deployment.account && env.region === deployment.region
          ? undefined
          : `arn:${cdk.Aws.PARTITION}:events:${deployment.region}:${deployment.account}:event-bus/default`,
      extraAlarmNames,
    });

    this.devStage = new ServiceStage(this, 'Dev', {
      env: config.dev,
      environmentKind: 'dev',
      canary: config.canary,
      gateAccess: gateAccess(config.dev, [...bake.extraAlarmNames]),
    });
    this.prodStage = new ServiceStage(this, 'Prod', {
      env: config.prod,
      environmentKind: 'prod',
      canary: config.canary,
      gateAccess: gateAccess(config.prod, []),
      pipelineAccount: deployment.account,
    });
    this.releasePipeline = new ReleasePipeline(this, 'Release', {
      pipelineName: config.pipelineName,
      source: config.repository,
      stages: [this.devStage, this.prodStage],
    });

    this.bakeGate = new BakeGate(this, 'BakeGate', {
      pipeline: this.releasePipeline.codePipeline,
      bakedStageName: this.devStage.stageName,
      promotionStageName: this.prodStage.stageName,
      bakeTime: cdk.Duration.minutes(bake.minutes),
      maxHold: cdk.Duration.days(bake.maxHoldDays),
      evidenceGrace: cdk.Duration.minutes(bake.evidenceGraceMinutes),
      lateStartMargin: cdk.Duration.minutes(lateStartMarginMinutes(bake)),
      minimumRequests: bake.minimumRequests,
      watched: { ...config.dev, alarmNames: [physicalName(this.devStage.service.healthAlarm), ...bake.extraAlarmNames] },
      promotionTarget: { ...config.prod, healthAlarmName: physicalName(this.prodStage.service.healthAlarm) },
      gateRoleName,
      readerRoleName,
      releaseCalendar: config.calendar,
      topicName: releaseEventsTopicName(config.pipelineName),
    });

    // After Prod deploys, its health alarm is watched for the prod bake; an alarm, or any failure, rolls Prod back.
    rollBackStageOnAlarm(this.releasePipeline, this.prodStage.stageName, {
      alarmName: physicalName(this.prodStage.service.healthAlarm),
      alarmRegion: config.prod.region,
      alarmReaderRoleArn: StageAlarmReaderRole.arn(config.prod.account, this.prodStage.service.pipelineAlarmReaderRoleName!),
      watchTime: cdk.Duration.minutes(bake.prodBakeMinutes),
    });
  }
}

/**
 * The alarm's name as a plain string. `alarm.alarmName` is a reference, and a reference from the pipeline
 * to a service stack in the same account and region would be a dependency across stages, which CDK refuses.
 */
function physicalName(alarm: cloudwatch.CompositeAlarm): string {
  const name = (alarm.node.defaultChild as cloudwatch.CfnCompositeAlarm).alarmName;
  if (name === undefined || cdk.Token.isUnresolved(name)) throw new Error(`${alarm.node.path} needs a fixed alarm name for the bake gate`);
  return name;
}
