import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { lateStartMarginMinutes } from './bake-config';
import { AccountEnvironment, TollgateConfig } from './config';
import { alarmReaderRoleName, gateStateTableName, operatorRoleName, releaseEventsTopicName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { syntheticChecksCanaryName, syntheticChecksMetric } from '../lambdas/shared/synthetic-checks';
import { manifestParameterName } from '@tollgate/constructs/lib/domain/pipeline-manifest';
import { BakeGate, GateEnvironmentProps, OperatorRole, PipelineManifest, ReleaseDashboard, ReleasePipeline, ReleaseRecorder, ReleaseRecordTable } from '@tollgate/constructs';
import { PipelineSandbox } from './pipeline-sandbox';
import { ProdTarget, ProdWave, targetEnvironmentName, targetStageId } from './prod-waves';
import { PreProdStage, preProdStageId } from './pre-prod-stages';
import { GateAccess } from './sample-service/service-stack';
import { ServiceStage } from './sample-service/service-stage';

export interface PipelineStackProps extends cdk.StackProps {
  readonly config: TollgateConfig;
  /**
   * The release version the Build assigned to this commit (`RELEASE_VERSION`), carried by the Dev and prod service
   * stages only: the pipeline stack's own template never holds it (see `release-version.ts` of the library).
   *
   * @default - none: the services report `unreleased`
   */
  readonly releaseVersion?: string;
}

/** The prod bake's approval, the last action of the Prod stage. */
export const PROD_BAKE_ACTION = 'ProdBake';

/**
 * Tollgate's release of the sample service: the pipeline in the deployment account, promoting one build
 * through the Dev and Prod service stages in their own accounts, with a bake gate between them.
 */
export class PipelineStack extends cdk.Stack {
  readonly releasePipeline: ReleasePipeline;
  /** The pipeline's own sandbox before Dev, `Pipeline-Service` in the sandbox account, and its integration tests. */
  readonly pipelineSandbox: PipelineSandbox;
  readonly devStage: ServiceStage;
  /** Prod's first target (the only one without prod.waves). */
  readonly prodStage: ServiceStage;
  /** The gated stages between dev and prod (`preProd`), in order, with their service stages. */
  readonly preProdStages: readonly { readonly stage: PreProdStage; readonly serviceStage: ServiceStage }[];
  /** Every prod target's service stage, wave by wave. */
  readonly prodTargets: readonly { readonly wave: ProdWave; readonly target: ProdTarget; readonly stage: ServiceStage }[];
  readonly bakeGate: BakeGate;
  readonly operatorRole: OperatorRole;
  /** The pipeline's shape for the `tollgate` command line. */
  readonly manifest: PipelineManifest;
  /** Every execution's release record, and the release version counters. */
  readonly releaseRecordTable: ReleaseRecordTable;
  readonly releaseRecorder: ReleaseRecorder;
  readonly releaseDashboard: ReleaseDashboard;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { bake, deployment } = config;

    // Fixed names: each side of the cross-account trust must know the other's role before it exists.
    const gateRoleName = `${config.pipelineName}-BakeGate`;
    const readerRoleName = alarmReaderRoleName(config.pipelineName);
    const gateAccess = (env: AccountEnvironment, extraAlarmNames: string[]): GateAccess => ({
      gateAccount: deployment.account,
      // The gate reads the alarms it decides on; `tollgate status` reads them through the operator role.
      trustedRoleNames: [gateRoleName, operatorRoleName(config.pipelineName)],
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
      releaseVersion: props.releaseVersion,
      environmentKind: 'dev',
      canary: config.canary,
      gateAccess: gateAccess(config.dev, [...bake.extraAlarmNames]),
    });
    // Between dev and prod, the configured gated stages (e.g. staging), each a shared, non-prod environment like dev.
    this.preProdStages = config.preProd.map((stage) => ({
      stage,
      serviceStage: new ServiceStage(this, preProdStageId(stage), {
        env: { account: stage.account, region: stage.region },
        releaseVersion: props.releaseVersion,
        environmentKind: 'dev',
        canary: config.canary,
        gateAccess: gateAccess(stage, []),
      }),
    }));
    // Prod: one service stage per target, wave by wave (without prod.waves, the one stage `Prod`).
    this.prodTargets = config.prodWaves.flatMap((wave) =>
      wave.targets.map((target) => ({
        wave,
        target,
        stage: new ServiceStage(this, targetStageId(wave, target), {
          env: { account: target.account, region: target.region },
          environmentKind: 'prod',
          releaseVersion: props.releaseVersion,
          canary: config.canary,
          gateAccess: gateAccess(target, []),
        }),
      })),
    );
    this.prodStage = this.prodTargets[0].stage;
    // Made before the pipeline: the Build assigns release versions in it.
    this.releaseRecordTable = new ReleaseRecordTable(this, 'ReleaseRecord', { pipelineName: config.pipelineName });
    this.releasePipeline = new ReleasePipeline(this, 'Release', {
      pipelineName: config.pipelineName,
      source: config.repository,
      gateCheck: true,
      releaseVersion: { release: config.release, table: this.releaseRecordTable },
      // Before each stack's deployment, fail on a change that replaces or removes a stateful resource unannounced.
      replacementGuard: { allowListFile: 'tollgate-allow-replace.json' },
    });

    // First the release's own sandbox: deployed and tested against its real endpoints before Dev. Ungated (the
    // gate watches no alarms there): a failed test fails the stage, and the release stops before Dev.
    this.pipelineSandbox = new PipelineSandbox(this, 'PipelineSandbox', {
      pipelineName: config.pipelineName,
      deployment,
      sandbox: config.sandbox,
      releaseAccounts: [
        ...new Set([config.dev.account, ...config.preProd.map((s) => s.account), config.prod.account, ...config.prodWaves.flatMap((w) => w.targets.map((t) => t.account)), deployment.account]),
      ],
      canary: config.canary,
      settings: config.pipelineSandbox,
      source: this.releasePipeline.source,
    });
    this.releasePipeline.addGatedStage(this.pipelineSandbox.stage, { pre: this.pipelineSandbox.pre, post: [this.pipelineSandbox.tests] });

    // One gate owns every bake: dev's before prod, and one after each prod wave, which fails (and so rolls back) it.
    const environment = (name: string, stage: ServiceStage, env: AccountEnvironment, extraAlarmNames: readonly string[]): GateEnvironmentProps => ({
      name,
      ...env,
      alarmNames: [physicalName(stage.service.healthAlarm), ...extraAlarmNames],
      stackName: stage.service.stackName,
      syntheticChecks: {
        metric: syntheticChecksMetric(syntheticChecksCanaryName(stage.stageName)),
        minimumCoveragePercent: bake.syntheticCoveragePercent,
      },
    });
    this.releasePipeline.addGatedStage(this.devStage, {
      environment: { ...environment('dev', this.devStage, config.dev, bake.extraAlarmNames), minimumRequests: bake.minimumRequests },
      bake: {
        bakeTime: cdk.Duration.minutes(bake.minutes),
        maxHold: cdk.Duration.days(bake.maxHoldDays),
        evidenceGrace: cdk.Duration.minutes(bake.evidenceGraceMinutes),
        allowNoTraffic: bake.allowNoTraffic,
      },
    });
    // Each stage between dev and prod: checked at its door, baked before the next, like dev.
    for (const { stage, serviceStage } of this.preProdStages) {
      this.releasePipeline.addGatedStage(serviceStage, {
        environment: environment(stage.name, serviceStage, { account: stage.account, region: stage.region }, []),
        entryCheck: {},
        bake: {
          bakeTime: cdk.Duration.minutes(stage.bakeMinutes),
          maxHold: cdk.Duration.days(bake.maxHoldDays),
          evidenceGrace: cdk.Duration.minutes(bake.evidenceGraceMinutes),
          allowNoTraffic: bake.allowNoTraffic,
        },
      });
    }
    // Each prod wave: its targets in parallel, checked at its door (however a build got there: a resume, a
    // re-enabled transition), then baked; a rejected bake fails the wave's stage, which redeploys its last successful
    // release (CodePipeline "Configure stage rollback": V2 pipelines roll a failed stage back to its last successful
    // execution). The bake before a wave promotes into it with the margin of that wave's deployment and bake.
    config.prodWaves.forEach((wave, i) => {
      const targets = this.prodTargets.filter((t) => t.wave === wave);
      const last = i === config.prodWaves.length - 1;
      const options = {
        entryCheck: { lateStartMargin: cdk.Duration.minutes(lateStartMarginMinutes(bake, wave.bakeMinutes)) },
        bake: {
          actionName: PROD_BAKE_ACTION,
          bakeTime: cdk.Duration.minutes(wave.bakeMinutes),
          evidenceGrace: cdk.Duration.minutes(bake.evidenceGraceMinutes),
          allowNoTraffic: bake.allowNoTraffic,
          // A baked wave waits for the next one as the dev bake waits for prod: through holds, up to maxHoldDays.
          maxHold: last ? undefined : cdk.Duration.days(bake.maxHoldDays),
        },
        rollBackOnFailure: true,
      };
      const environments = targets.map(({ target, stage }) => environment(targetEnvironmentName(wave, target), stage, { account: target.account, region: target.region }, []));
      // A wave of one target (prod without waves included) is that target's own stage (see addGatedWave).
      this.releasePipeline.addGatedWave(wave.stageName, targets.map((t) => t.stage), { ...options, environments });
    });
    this.bakeGate = this.releasePipeline.addBakeGate(this, 'BakeGate', {
      stateTableName: gateStateTableName(config.pipelineName),
      gateRoleName,
      readerRoleName,
      operatorRoleName: operatorRoleName(config.pipelineName),
      alarmLatency: cdk.Duration.minutes(bake.alarmLatencyMinutes),
      readFailureTolerance: cdk.Duration.minutes(bake.readFailureToleranceMinutes),
      releaseCalendar: config.calendar,
      topicName: releaseEventsTopicName(config.pipelineName),
    });

    this.pipelineSandbox.announceFailuresOn(this.releasePipeline.codePipeline, this.bakeGate.topic);
    // A stage in another region than the pipeline (the sandbox's region defaults to dev's, not the pipeline's) gets
    // a CodePipeline support stack there with an artifact replication bucket.
    for (const support of Object.values(this.releasePipeline.codePipeline.crossRegionSupport)) {
      NagSuppressions.addResourceSuppressions(support.replicationBucket, [
        { id: 'AwsSolutions-S1', reason: "CodePipeline's artifact replication bucket holds only build artifacts, encrypted with the pipeline key; CloudTrail records access." },
      ], true);
    }

    // On-call's changes (stop, resume, rollback, freeze, override) go through this role; the gate trusts
    // loosening controls only from its sessions.
    this.operatorRole = new OperatorRole(this, 'Operator', {
      roleName: operatorRoleName(config.pipelineName),
      pipeline: this.releasePipeline.codePipeline,
      guardedStageNames: config.prodWaves.map((w) => w.stageName),
      topic: this.bakeGate.topic,
      principals: config.operators.principals,
      alarmReaderRoleArns: [...this.bakeGate.readerRoleArns.values()],
      manifestParameterName: manifestParameterName(config.pipelineName),
    });

    // The command line reads the pipeline's shape from here instead of knowing its stage and action names.
    this.manifest = new PipelineManifest(this, 'Manifest', {
      pipeline: this.releasePipeline.codePipeline,
      pipelineName: config.pipelineName,
      bakeGate: this.bakeGate,
      promotionStageNames: config.prodWaves.map((w) => w.stageName),
      operatorRoleName: operatorRoleName(config.pipelineName),
      topicName: releaseEventsTopicName(config.pipelineName),
      stateTableName: gateStateTableName(config.pipelineName),
    });

    // Every execution on the record, from the pipeline's own events; a release announced on the gate's topic.
    this.releaseRecorder = new ReleaseRecorder(this, 'ReleaseRecorder', {
      pipeline: this.releasePipeline.codePipeline,
      table: this.releaseRecordTable,
      shape: this.manifest.document,
      topic: this.bakeGate.topic,
      prices: config.prices,
    });
    this.releaseDashboard = new ReleaseDashboard(this, 'ReleaseDashboard', { pipelineName: config.pipelineName });
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
