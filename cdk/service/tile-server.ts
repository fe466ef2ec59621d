import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ALARM_JUDGEMENT, ALARM_PERIOD } from './alarm-judgement';

export interface TileServerProps {
  /** Directory holding the server's Dockerfile; built at asset publishing, never at synth. */
  readonly imageDirectory: string;
  /**
   * Version of the data schema the server reads at start-up. It is part of the task definition, so a change
   * registers a new revision and ECS replaces every task: that is how a schema change reaches the server.
   */
  readonly schemaVersion: string;
  /**
   * Fargate CPU units.
   *
   * @default 256
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB.
   *
   * @default 512
   */
  readonly memoryLimitMiB?: number;
  /**
   * Tasks to run; with two or more they spread over two Availability Zones.
   *
   * @default 1
   */
  readonly desiredCount?: number;
  /**
   * Path the load balancer checks; a task that fails it is replaced, and a deployment whose tasks fail it
   * trips the circuit breaker.
   *
   * @default '/healthz'
   */
  readonly healthCheckPath?: string;
  /**
   * Port the container listens on.
   *
   * @default 8080
   */
  readonly containerPort?: number;
  /**
   * Prefix of the deployment alarms' names (`<prefix>-TileServer5xx`, ...). The service names its deployment
   * alarms, so they get physical names: an alarm name that references a resource risks a dependency cycle.
   *
   * @default - the stack name
   */
  readonly alarmNamePrefix?: string;
  /**
   * What happens to the access-log bucket and the log group when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: cdk.RemovalPolicy;
}

/**
 * Two Availability Zones chosen by CloudFormation (`Fn::GetAZs`). A stack with an account and region would
 * otherwise look its zones up at synth, which offline synth with lookups disabled cannot do: such a stack
 * returns these from its `availabilityZones` getter before it holds a tile server.
 */
export function availabilityZonesWithoutLookup(): string[] {
  return [0, 1].map((i) => cdk.Fn.select(i, cdk.Fn.getAzs()));
}

/**
 * A containerized HTTP server on ECS Fargate behind an internet-facing Application Load Balancer, in a VPC of
 * its own with public subnets only (no NAT gateway: tasks pull their image over the internet gateway with a
 * public IP, and accept traffic only from the load balancer).
 *
 * Releases are ECS rolling deployments run inside the CloudFormation update: new tasks start beside the old
 * (100 % minimum healthy, 200 % maximum), old tasks stop only once the new pass the health check; the
 * circuit breaker rolls back a deployment whose tasks keep failing, and the deployment alarms (target 5xx,
 * unhealthy targets) roll back one that serves errors, during the rollout and ECS's bake time after it.
 */
export class TileServer extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The alarms ECS watches during a deployment; also signs of the environment's health. */
  readonly deploymentAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: TileServerProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? cdk.RemovalPolicy.RETAIN;
    const containerPort = props.containerPort ?? 8080;
    const healthCheckPath = props.healthCheckPath ?? '/healthz';

    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support only S3-managed keys.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: cdk.Duration.days(90) }],
      removalPolicy,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: { ToS3: { destination: ec2.FlowLogDestination.toS3(logBucket, 'vpc-flow-logs/') } },
    });

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu ?? 256,
      memoryLimitMiB: props.memoryLimitMiB ?? 512,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    this.taskDefinition.addContainer('Server', {
      // Tagged with the asset hash of the directory, never `latest`: the task definition names the exact image.
      image: ecs.ContainerImage.fromAsset(props.imageDirectory, { platform: ecrAssets.Platform.LINUX_AMD64 }),
      environment: { SCHEMA_VERSION: props.schemaVersion, PORT: String(containerPort) },
      portMappings: [{ containerPort }],
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'tile-server',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy }),
      }),
      readonlyRootFilesystem: true,
    });

    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(logBucket, 'alb');
    const listener = this.loadBalancer.addListener('Http', { port: 80, open: true });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 1,
      assignPublicIp: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      // Old tasks keep serving until their replacements are healthy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      deploymentStrategy: ecs.DeploymentStrategy.ROLLING,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: cdk.Duration.seconds(30),
    });
    this.targetGroup = listener.addTargets('Tasks', {
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      healthCheck: {
        path: healthCheckPath,
        interval: cdk.Duration.seconds(10),
        timeout: cdk.Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // Short draining: tile requests are small, and a release should not wait five minutes per task.
      deregistrationDelay: cdk.Duration.seconds(30),
    });

    const prefix = props.alarmNamePrefix ?? cdk.Stack.of(this).stackName;
    const alarmNames = { target5xx: `${prefix}-TileServer5xx`, unhealthyTargets: `${prefix}-TileServerUnhealthy` };
    this.deploymentAlarms = this.createDeploymentAlarms(alarmNames);
    this.service.enableDeploymentAlarms(Object.values(alarmNames), { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
    // Named by string, not by reference: the alarms must still exist before the service watches them.
    this.service.node.addDependency(...this.deploymentAlarms);

    NagSuppressions.addResourceSuppressions(logBucket, [
      { id: 'AwsSolutions-S1', reason: 'This bucket is itself the access-log destination of the load balancer and the VPC; logging it would recurse.' },
    ]);
    NagSuppressions.addResourceSuppressions(this.loadBalancer, [
      { id: 'AwsSolutions-EC23', reason: 'The tile server is public: browsers fetch map tiles from it directly.' },
    ], true);
    NagSuppressions.addResourceSuppressions(this.taskDefinition, [
      { id: 'AwsSolutions-ECS2', reason: 'SCHEMA_VERSION and PORT are not secrets; SCHEMA_VERSION must be in the task definition so a schema change restarts the tasks.' },
      {
        id: 'AwsSolutions-IAM5',
        reason: 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the asset repository.',
        appliesTo: ['Resource::*'],
      },
    ], true);
  }

  /**
   * Target-group alarms: they read the load balancer, not the service, so the service can name them without a
   * dependency cycle. Any 5xx from the tasks, or an unhealthy target, two minutes running.
   */
  private createDeploymentAlarms(names: { target5xx: string; unhealthyTargets: string }): cloudwatch.Alarm[] {
    const metrics = this.targetGroup.metrics;
    const common = { ...ALARM_JUDGEMENT, threshold: 0 };
    return [
      metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: ALARM_PERIOD, statistic: 'Sum' }).createAlarm(this, 'Target5xxAlarm', {
        ...common,
        alarmName: names.target5xx,
        alarmDescription: 'The tile server answered 5xx.',
      }),
      metrics.unhealthyHostCount({ period: ALARM_PERIOD, statistic: 'Maximum' }).createAlarm(this, 'UnhealthyTargetsAlarm', {
        ...common,
        alarmName: names.unhealthyTargets,
        alarmDescription: 'A tile server task failed its health check.',
      }),
    ];
  }
}
