import * as cdk from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { DEFAULT_CANARY_SETTINGS, type EcsTrafficShift } from '../canary-settings';
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
   * How ECS moves production traffic to a new revision; the deployment alarms move it back until the bake ends.
   *
   * @default - a canary of 10 % for 5 minutes, then all, then a 5-minute bake (`canary.tileServer.prod`'s default)
   */
  readonly trafficShift?: EcsTrafficShift;
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
 * Releases are ECS's native canary (or blue/green, all at once) deployments, run inside the CloudFormation
 * update: the new revision starts in full beside the old one, in the other of two target groups, and once its
 * tasks pass the health check ECS moves a share of the production listener rule's traffic to it, then the rest,
 * and keeps the old revision for the bake before it stops it (Amazon ECS Developer Guide, "Amazon ECS canary
 * deployments"). The deployment alarms (target 5xx, unhealthy targets, over both target groups, since each
 * release lands in the other one) move all traffic back until the bake ends; the circuit breaker rolls back a
 * revision whose tasks keep failing to start.
 */
export class TileServer extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** The target group the first revision serves from; ECS alternates releases between it and the alternate one. */
  readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** The other target group: same port and health check; each release starts in the one not serving. */
  readonly alternateTargetGroup: elbv2.ApplicationTargetGroup;
  /** The rule whose forward weights ECS moves between the two target groups. */
  readonly productionListenerRule: elbv2.ApplicationListenerRule;
  /** The role ECS shifts the load balancer's traffic with. */
  readonly trafficShiftRole: iam.Role;
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
      // The new revision starts in full before it gets traffic.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      ...deploymentStrategyProps(props.trafficShift ?? DEFAULT_CANARY_SETTINGS.tileServer.prod),
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: cdk.Duration.seconds(30),
    });
    // Only the tasks may reach the endpoints (HTTPS), not everything in the VPC.
    for (const endpoint of endpoints) endpoint.connections.allowDefaultPortFrom(this.service);

    const targetGroupProps: elbv2.AddApplicationTargetsProps = {
      port: containerPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      healthCheck: {
        path: healthCheckPath,
        interval: cdk.Duration.seconds(10),
        timeout: cdk.Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
      // Short draining: tile requests are small, and a release should not wait five minutes per task.
      deregistrationDelay: cdk.Duration.seconds(30),
    };
    // The listener's default action, and the first revision's target group; the service registers below.
    this.targetGroup = listener.addTargets('Tasks', targetGroupProps);
    this.alternateTargetGroup = new elbv2.ApplicationTargetGroup(this, 'AlternateTasks', {
      ...targetGroupProps,
      vpc: this.vpc,
      targetType: elbv2.TargetType.IP,
    });
    // Every request matches the rule, so the listener's default action is never used; ECS moves the weights.
    // Both target groups are in it from the start, so the load balancer health-checks a new revision's tasks
    // (and publishes their metrics) before any production traffic reaches them.
    this.productionListenerRule = new elbv2.ApplicationListenerRule(this, 'ProductionRule', {
      listener,
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/*'])],
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: this.targetGroup, weight: 100 },
        { targetGroup: this.alternateTargetGroup, weight: 0 },
      ]),
    });
    this.trafficShiftRole = this.createTrafficShiftRole();
    this.targetGroup.addTarget(this.service.loadBalancerTarget({
      containerName: 'Server',
      containerPort,
      alternateTarget: new ecs.AlternateTarget('AlternateTarget', {
        alternateTargetGroup: this.alternateTargetGroup,
        productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(this.productionListenerRule),
        role: this.trafficShiftRole,
      }),
    }));

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
    NagSuppressions.addResourceSuppressions(this.trafficShiftRole, [
      {
        id: 'AwsSolutions-IAM5',
        reason: 'Elastic Load Balancing Describe actions have no resource-level permissions; every change is limited to the two target groups and the production rule.',
        appliesTo: ['Resource::*'],
      },
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
   * The role ECS assumes to move the production rule's weights and to register tasks in the target groups: what
   * the AWS managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers (v6) allows for an Application Load
   * Balancer, on this service's rule and target groups only instead of every one in the account (Amazon ECS
   * Developer Guide, "Amazon ECS infrastructure IAM role for load balancers").
   */
  private createTrafficShiftRole(): iam.Role {
    const role = new iam.Role(this, 'TrafficShiftRole', {
      assumedBy: new iam.ServicePrincipal('ecs.amazonaws.com'),
      description: "Lets ECS shift the tile server's load balancer traffic between its two target groups during a deployment",
    });
    role.addToPolicy(new iam.PolicyStatement({
      actions: [
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups',
        'elasticloadbalancing:DescribeTargetHealth',
      ],
      resources: ['*'],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
      resources: [this.targetGroup.targetGroupArn, this.alternateTargetGroup.targetGroupArn],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['elasticloadbalancing:ModifyRule'],
      resources: [this.productionListenerRule.listenerRuleArn],
    }));
    return role;
  }

  /**
   * Alarms on the load balancer, not the service, so the service can name them without a dependency cycle, and
   * over both target groups, because each release lands in the other one: any 5xx from the tasks, or an
   * unhealthy target, two minutes running.
   */
  private createDeploymentAlarms(names: { target5xx: string; unhealthyTargets: string }): cloudwatch.Alarm[] {
    const common = { ...ALARM_JUDGEMENT, threshold: 0 };
    const unhealthy = (targetGroup: elbv2.ApplicationTargetGroup) => targetGroup.metrics.unhealthyHostCount({ period: ALARM_PERIOD, statistic: 'Maximum' });
    return [
      this.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: ALARM_PERIOD, statistic: 'Sum' }).createAlarm(this, 'Target5xxAlarm', {
        ...common,
        alarmName: names.target5xx,
        alarmDescription: 'The tile server answered 5xx.',
      }),
      // A target group without a datapoint in a minute counts as none unhealthy.
      new cloudwatch.MathExpression({
        expression: 'FILL(primary, 0) + FILL(alternate, 0)',
        usingMetrics: { primary: unhealthy(this.targetGroup), alternate: unhealthy(this.alternateTargetGroup) },
        period: ALARM_PERIOD,
        label: 'Unhealthy tile server targets',
      }).createAlarm(this, 'UnhealthyTargetsAlarm', {
        ...common,
        alarmName: names.unhealthyTargets,
        alarmDescription: 'A tile server task failed its health check.',
      }),
    ];
  }
}

/** The service's deployment strategy for a traffic shift: ECS's CANARY, or BLUE_GREEN for all at once. */
function deploymentStrategyProps(shift: EcsTrafficShift): Pick<ecs.FargateServiceProps, 'deploymentStrategy' | 'canaryConfiguration' | 'bakeTime'> {
  const bakeTime = cdk.Duration.minutes(shift.bakeMinutes);
  if (shift.type === 'allAtOnce') return { deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN, bakeTime };
  return {
    deploymentStrategy: ecs.DeploymentStrategy.CANARY,
    canaryConfiguration: { stepPercent: shift.percent, stepBakeTime: cdk.Duration.minutes(shift.canaryBakeMinutes) },
    bakeTime,
  };
}
