import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TollgateConfig } from './config';
import { AlarmReaderRole } from './pipeline/alarm-reader-role';
import { ReleasePipeline } from './pipeline/release-pipeline';
import { rollBackStageOnAlarm } from './pipeline/stage-rollback';
import { ServiceStage } from './service/service-stage';

export interface PipelineStackProps extends cdk.StackProps {
  readonly config: TollgateConfig;
}

/**
 * Tollgate's release of the sample service: the pipeline in the deployment account, promoting one build
 * through the Dev and Prod service stages in their own accounts.
 */
export class PipelineStack extends cdk.Stack {
  readonly releasePipeline: ReleasePipeline;
  readonly devStage: ServiceStage;
  readonly prodStage: ServiceStage;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.devStage = new ServiceStage(this, 'Dev', { env: config.dev, environmentKind: 'dev', canary: config.canary });
    this.prodStage = new ServiceStage(this, 'Prod', {
      env: config.prod,
      environmentKind: 'prod',
      canary: config.canary,
      pipelineAccount: config.deployment.account,
    });
    this.releasePipeline = new ReleasePipeline(this, 'Release', {
      pipelineName: config.pipelineName,
      source: config.repository,
      stages: [this.devStage, this.prodStage],
    });

    // Prod's bake: its health alarm is watched after it deploys; an alarm, or any failure, rolls Prod back.
    const prod = this.prodStage.service;
    rollBackStageOnAlarm(this.releasePipeline, 'Prod', {
      alarmName: prod.healthAlarmName,
      alarmRegion: config.prod.region,
      alarmReaderRoleArn: AlarmReaderRole.arn(config.prod.account, prod.healthAlarmReaderRoleName!),
      watchTime: cdk.Duration.minutes(config.canary.prodBakeMinutes),
    });
  }
}
