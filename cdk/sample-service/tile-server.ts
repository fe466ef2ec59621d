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
   * ACM certificate (same account and region) the load balancer serves HTTPS with; port 80 then only redirects
   * to 443. Without one the load balancer serves plain HTTP on port 80.
   *
   * @default - plain HTTP
   */
  readonly certificateArn?: string;
  /**
   * The user the container runs as: a numeric UID the image has. `node` in the official Node.js images is 1000.
   *
   * @default '1000'
   */
  readonly containerUser?: string;
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
 * its own: the load balancer in public subnets, the tasks in isolated subnets with no public IP and no route
 * to the internet. They reach ECR, S3 (image layers) and CloudWatch Logs through VPC endpoints, and accept
 * traffic only from the load balancer. Endpoints rather than a NAT gateway: the tasks need nothing else, and a
 * task without any internet egress cannot leak data to or download code from the internet.
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
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'Tasks', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      flowLogs: { ToS3: { destination: ec2.FlowLogDestination.toS3(logBucket, 'vpc-flow-logs/') } },
    });
    const taskSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    // What a Fargate task pulling from ECR and logging with awslogs needs without internet access (Amazon ECR
    // User Guide, "Amazon ECR interface VPC endpoints": ecr.api, ecr.dkr, and the S3 gateway for image layers).
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [taskSubnets] });
    const endpoints = Object.entries({
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    }).map(([id, service]) => this.vpc.addInterfaceEndpoint(id, { service, subnets: taskSubnets, open: false }));

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
      // Not root: the image's own unprivileged user (service/tile-server/Dockerfile), by UID so ECS can check it.
      user: props.containerUser ?? '1000',
      // A hard limit: the container is killed rather than starving the task's other processes (the ECS agent's).
      memoryLimitMiB: props.memoryLimitMiB ?? 512,
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
    // Plain HTTP only without a certificate (sandboxes, or dev/prod before one is configured): the tiles are
    // public open data, read without credentials or cookies. AwsSolutions has no rule for it; docs/trust-model.md.
    const listener = props.certificateArn ? this.addHttpsListeners(props.certificateArn) : this.loadBalancer.addListener('Http', { port: 80, open: true });

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 1,
      assignPublicIp: false,
      vpcSubnets: taskSubnets,
      // Old tasks keep serving until their replacements are healthy.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      deploymentStrategy: ecs.DeploymentStrategy.ROLLING,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: cdk.Duration.seconds(30),
    });
    // Only the tasks may reach the endpoints (HTTPS), not everything in the VPC.
    for (const endpoint of endpoints) endpoint.connections.allowDefaultPortFrom(this.service);
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
   * HTTPS on 443 with the certificate, and port 80 answering only with a permanent redirect to it, so a browser
   * that types the bare host name still ends up on TLS.
   */
  private addHttpsListeners(certificateArn: string): elbv2.ApplicationListener {
    this.loadBalancer.addListener('HttpRedirect', {
      port: 80,
      open: true,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    return this.loadBalancer.addListener('Https', {
      port: 443,
      open: true,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn)],
      // TLS 1.2 and 1.3 only; without a policy the listener gets ELBSecurityPolicy-2016-08, which allows TLS 1.0.
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    });
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
