import * as cdk from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { TollgateConfig } from './config';
import { ReleasePipeline } from './pipeline/release-pipeline';
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

    this.devStage = new ServiceStage(this, 'Dev', { env: config.dev, environmentKind: 'dev' });
    this.prodStage = new ServiceStage(this, 'Prod', { env: config.prod, environmentKind: 'prod' });
    this.releasePipeline = new ReleasePipeline(this, 'Release', {
      pipelineName: config.pipelineName,
      source: config.repository,
      stages: [this.devStage, this.prodStage],
    });
  }
}
