import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TABLE_SCHEMA, tableSchemaVersion } from '../../cdk/sample-service/table-schema';
import { availabilityZonesWithoutLookup, TileServer, TileServerProps } from '../../cdk/sample-service/tile-server';
import { sharedTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();

describe.each([
  ['Prod', () => synthesized.prod, 2, { Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 10, CanaryBakeTimeInMinutes: 5 }, BakeTimeInMinutes: 5 }],
  ['Dev', () => synthesized.dev, 1, { Strategy: 'BLUE_GREEN', CanaryConfiguration: Match.absent(), BakeTimeInMinutes: 5 }],
])('the %s tile server', (stage, templateOf, desiredCount, strategy) => {
  const template = templateOf();
  const resourceId = (type: string, pattern: RegExp) => {
    const ids = Object.keys(template.findResources(type)).filter((id) => pattern.test(id));
    expect(ids).toHaveLength(1);
    return ids[0];
  };

  test('runs on Fargate behind the load balancer; a new revision starts in full beside the old one', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DesiredCount: desiredCount,
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
      LoadBalancers: [Match.objectLike({ ContainerName: 'Server', ContainerPort: 8080 })],
    });
  });

  test(`takes a new revision by ECS's native ${strategy.Strategy} deployment, with its bake`, () => {
    template.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike(strategy) });
  });

  test('the circuit breaker and the deployment alarms roll a bad deployment back', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { Enable: true, Rollback: true, AlarmNames: [`${stage}-Service-TileServer5xx`, `${stage}-Service-TileServerUnhealthy`] },
      }),
    });
    // Named as strings, so the service must wait for them explicitly.
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0];
    const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('TileServer') } }));
    expect(service.DependsOn).toEqual(expect.arrayContaining(alarms));
  });

  test('the alarms watch both target groups, since each release lands in the other one', () => {
    const loadBalancer = resourceId('AWS::ElasticLoadBalancingV2::LoadBalancer', /TileServer/);
    // The load balancer's own count of target 5xx: every target group behind it.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stage}-Service-TileServer5xx`, Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Statistic: 'Sum', Period: 60, DatapointsToAlarm: 2, Threshold: 0,
      Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [loadBalancer, 'LoadBalancerFullName'] } }],
    });
    const [unhealthy] = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: `${stage}-Service-TileServerUnhealthy` } }));
    expect(unhealthy.Properties).toMatchObject({ DatapointsToAlarm: 2, EvaluationPeriods: 2, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const metrics = unhealthy.Properties.Metrics as { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: any }[];
    expect(metrics.filter((m) => m.ReturnData !== false).map((m) => m.Expression)).toEqual(['FILL(primary, 0) + FILL(alternate, 0)']);
    const stats = Object.fromEntries(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));
    expect(Object.keys(stats).sort()).toEqual(['alternate', 'primary']);
    for (const stat of Object.values(stats)) expect(stat).toMatchObject({ Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'UnHealthyHostCount' }, Period: 60, Stat: 'Maximum' });
    const targetGroupOf = (id: string) => JSON.stringify(stats[id].Metric.Dimensions.find((d: { Name: string }) => d.Name === 'TargetGroup').Value);
    expect(targetGroupOf('primary')).toContain(resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /TasksGroup/));
    expect(targetGroupOf('alternate')).toContain(resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /AlternateTasks/));
  });

  test('ECS moves the production rule\'s weights between the two target groups', () => {
    const primary = resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /TasksGroup/);
    const alternate = resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /AlternateTasks/);
    const rule = resourceId('AWS::ElasticLoadBalancingV2::ListenerRule', /ProductionRule/);
    const role = resourceId('AWS::IAM::Role', /TrafficShiftRole/);
    template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [{
        ContainerName: 'Server',
        ContainerPort: 8080,
        TargetGroupArn: { Ref: primary },
        AdvancedConfiguration: { AlternateTargetGroupArn: { Ref: alternate }, ProductionListenerRule: { Ref: rule }, RoleArn: { 'Fn::GetAtt': [role, 'Arn'] } },
      }],
    });
    // Every request matches the rule; both target groups are in it, so the load balancer health-checks the new tasks.
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: resourceId('AWS::ElasticLoadBalancingV2::Listener', /TileServer/) },
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: { Ref: primary }, Weight: 100 }, { TargetGroupArn: { Ref: alternate }, Weight: 0 }] } }],
    });
    // The same targets and health check in both: a release must not change how its tasks are judged.
    const [first, second] = [primary, alternate].map((id) => template.toJSON().Resources[id].Properties);
    expect(second).toEqual(first);
  });

  test('the traffic shift role lets ECS change only this service\'s rule and target groups', () => {
    const role = resourceId('AWS::IAM::Role', /TrafficShiftRole/);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' } }] },
      ManagedPolicyArns: Match.absent(),
    });
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetHealth'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['elasticloadbalancing:DeregisterTargets', 'elasticloadbalancing:RegisterTargets'],
        Resource: [{ Ref: resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /AlternateTasks/) }, { Ref: resourceId('AWS::ElasticLoadBalancingV2::TargetGroup', /TasksGroup/) }],
      },
      { Effect: 'Allow', Action: 'elasticloadbalancing:ModifyRule', Resource: { Ref: resourceId('AWS::ElasticLoadBalancingV2::ListenerRule', /ProductionRule/) } },
    ]);
  });

  test('a health-check path decides when a task serves', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    template.allResourcesProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/healthz', HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 2, UnhealthyThresholdCount: 3, TargetType: 'ip', Port: 8080,
    });
    template.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: 30 });
  });

  test('the image is pinned by its asset hash, never :latest', () => {
    const taskDefinitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    expect(taskDefinitions).toHaveLength(1);
    const image = JSON.stringify(taskDefinitions[0].Properties.ContainerDefinitions[0].Image);
    expect(image).not.toMatch(/:latest/);
    expect(image).toMatch(/cdk-hnb659fds-container-assets-\d{12}-us-east-1:[0-9a-f]{64}"/);
  });

  test('the schema version is part of the task definition', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Environment: Match.arrayWith([{ Name: 'SCHEMA_VERSION', Value: tableSchemaVersion(TABLE_SCHEMA) }]), ReadonlyRootFilesystem: true })],
      RequiresCompatibilities: ['FARGATE'],
    });
  });

  test('tasks in isolated subnets without public IPs, reachable only from the load balancer', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED', Subnets: [{ Ref: Match.stringLikeRegexp('TasksSubnet1') }, { Ref: Match.stringLikeRegexp('TasksSubnet2') }] }) },
    });
    // Isolated: the tasks' route tables lead nowhere but the VPC and the S3 gateway.
    const taskRoutes = Object.values(template.findResources('AWS::EC2::Route')).filter((r) => JSON.stringify(r.Properties.RouteTableId).includes('Tasks'));
    expect(taskRoutes).toEqual([]);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
    const toTasks = ingress.filter((p) => JSON.stringify(p.GroupId).includes('ServiceSecurityGroup'));
    expect(toTasks).toHaveLength(1);
    expect(toTasks[0]).toMatchObject({ FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/LoadBalancerSecurityGroup/), 'GroupId'] } });
  });

  test('reach ECR, S3 and CloudWatch Logs through VPC endpoints that only the tasks may use', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }) });
    for (const service of ['ecr.api', 'ecr.dkr', 'logs']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', ServiceName: Match.stringLikeRegexp(`\\.${service.replace('.', '\\.')}$`), PrivateDnsEnabled: true });
    }
    const endpointIngress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r) => r.Properties)
      .filter((p) => !JSON.stringify(p.GroupId).includes('ServiceSecurityGroup'));
    expect(endpointIngress).toHaveLength(3);
    for (const rule of endpointIngress) {
      expect(rule).toMatchObject({ FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/ServiceSecurityGroup/), 'GroupId'] } });
      expect(rule.CidrIp).toBeUndefined();
    }
  });

  test('the container runs as the image\'s unprivileged user with a hard memory limit', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({ Name: 'Server', User: '1000', Memory: 512, ReadonlyRootFilesystem: true })],
    });
  });

  test('without a certificate, plain HTTP on port 80 only', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'forward' })] });
  });

  test('the load balancer and the VPC log to a retained, encrypted, private bucket', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::EC2::FlowLog', { LogDestinationType: 's3' });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      }),
    });
  });

  test('its alarms are part of the environment\'s health', () => {
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))[0];
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    for (const id of Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: Match.stringLikeRegexp('TileServer') } }))) {
      expect(rule).toContain(id);
    }
  });
});

test('the sandbox tile server is removed with the sandbox', () => {
  synthesized.sandboxTemplate.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
  synthesized.sandboxTemplate.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 1 });
});

test('the sandbox tile server takes a new revision all at once, without a bake', () => {
  synthesized.sandboxTemplate.hasResourceProperties('AWS::ECS::Service', {
    DeploymentConfiguration: Match.objectLike({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 0, CanaryConfiguration: Match.absent(), Alarms: Match.objectLike({ Rollback: true }) }),
  });
});

test('the stacks with a tile server pass cdk-nag AwsSolutions', () => {
  expect(awsSolutionsFindings(synthesized.pipelineStack.devStage.service)).toEqual([]);
  expect(awsSolutionsFindings(synthesized.sandbox.service)).toEqual([]);
});

test('synth needs no context lookup (Availability Zones come from Fn::GetAZs) and no Docker', () => {
  const assembly = synthesized.app.synth();
  expect(assembly.manifest.missing).toBeUndefined();
  const prod = assembly.getNestedAssembly('assembly-Tollgate-Pipeline-Prod');
  const assetManifest = prod.artifacts.find((a) => a.id.endsWith('.assets')) as cdk.cx_api.AssetManifestArtifact;
  const images = JSON.parse(fs.readFileSync(assetManifest.file, 'utf8')).dockerImages as Record<string, { source: { directory: string } }>;
  // The image is only described here; it is built when the pipeline publishes assets.
  const [hash, image] = Object.entries(images)[0];
  expect(fs.existsSync(path.join(path.dirname(assetManifest.file), image.source.directory, 'Dockerfile'))).toBe(true);
  expect(hash).toMatch(/^[0-9a-f]{64}$/);
});

/** A tile server alone in a stack of its own. */
function tileServerTemplate(props: Partial<TileServerProps> = {}): Template {
  const stack = new (class extends cdk.Stack {
    override get availabilityZones() {
      return availabilityZonesWithoutLookup();
    }
  })(new cdk.App(), 'TileServerTest', { env: { account: '333333333333', region: 'us-east-1' } });
  new TileServer(stack, 'Tiles', { imageDirectory: path.join(__dirname, '..', '..', 'service', 'tile-server'), schemaVersion: 'v1-aaaaaaaaaaaa', ...props });
  return Template.fromStack(stack);
}

test('with a certificate, HTTPS on 443 and port 80 only redirects to it', () => {
  const certificateArn = 'arn:aws:acm:us-east-1:333333333333:certificate/0a1b2c3d-0000-0000-0000-000000000000';
  const template = tileServerTemplate({ certificateArn });
  template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 443,
    Protocol: 'HTTPS',
    Certificates: [{ CertificateArn: certificateArn }],
    SslPolicy: Match.stringLikeRegexp('TLS13'),
    DefaultActions: [Match.objectLike({ Type: 'forward' })],
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 80,
    Protocol: 'HTTP',
    DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
  });
  // ECS shifts the HTTPS traffic; the redirect carries none.
  const [https] = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::Listener', { Properties: { Port: 443 } }));
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', { ListenerArn: { Ref: https } });
});

test('a traffic shift of its own: any canary percentage in steps of 0.1, a bake of 0', () => {
  tileServerTemplate({ trafficShift: { type: 'canary', percent: 2.5, canaryBakeMinutes: 15, bakeMinutes: 0 } }).hasResourceProperties('AWS::ECS::Service', {
    DeploymentConfiguration: Match.objectLike({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 2.5, CanaryBakeTimeInMinutes: 15 }, BakeTimeInMinutes: 0 }),
  });
});

describe('a schema change reaches the tasks', () => {
  function taskDefinition(schemaVersion: string): { id: string; properties: Record<string, unknown> } {
    const [[id, resource]] = Object.entries(tileServerTemplate({ schemaVersion }).findResources('AWS::ECS::TaskDefinition'));
    return { id, properties: resource.Properties };
  }

  test('as a changed task definition (same resource, new revision), which the service rolls out', () => {
    const before = taskDefinition('v1-aaaaaaaaaaaa');
    const after = taskDefinition('v2-bbbbbbbbbbbb');
    expect(after.id).toBe(before.id);
    expect(JSON.stringify(after.properties)).not.toBe(JSON.stringify(before.properties));
    expect(JSON.stringify(after.properties)).toContain('v2-bbbbbbbbbbbb');
  });

  test('the schema version follows every field of the table schema', () => {
    const base = tableSchemaVersion(TABLE_SCHEMA);
    expect(base).toMatch(/^v1-[0-9a-f]{12}$/);
    expect(tableSchemaVersion({ ...TABLE_SCHEMA })).toBe(base);
    expect(tableSchemaVersion({ ...TABLE_SCHEMA, version: 2 })).toMatch(/^v2-/);
    expect(tableSchemaVersion({ ...TABLE_SCHEMA, partitionKey: 'id' })).not.toBe(base);
    expect(tableSchemaVersion({ ...TABLE_SCHEMA, documentAttribute: 'body' })).not.toBe(base);
  });
});
