import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsLambda } from '../../cdk/lambda-defaults';
import { CanaryDeployment } from '../../cdk/sample-service/canary-deployment';
import { sharedTollgate, synthesizeTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();

function only(template: Template, type: string): { id: string; resource: Record<string, any> } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

function logicalId(template: Template, type: string, props: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

describe.each([
  ['Prod', () => synthesized.prod, 'CodeDeployDefault.LambdaCanary10Percent10Minutes'],
  ['Dev', () => synthesized.dev, 'CodeDeployDefault.LambdaAllAtOnce'],
  ['alice', () => synthesized.sandboxTemplate, 'CodeDeployDefault.LambdaAllAtOnce'],
])('the %s API alias is released through CodeDeploy', (stage, templateOf, deploymentConfig) => {
  const template = templateOf();

  test(`with ${deploymentConfig}, rolling back on failure, on stop and on alarm`, () => {
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: deploymentConfig,
      DeploymentStyle: { DeploymentOption: 'WITH_TRAFFIC_CONTROL', DeploymentType: 'BLUE_GREEN' },
      AutoRollbackConfiguration: {
        Enabled: true,
        Events: Match.arrayEquals(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']),
      },
    });
  });

  test('watching the new version\'s errors, p99 duration and the alias\'s throttles, and the API 5xx rate', () => {
    const { resource: group } = only(template, 'AWS::CodeDeploy::DeploymentGroup');
    const watched = group.Properties.AlarmConfiguration;
    expect(watched.Enabled).toBe(true);
    const errors = logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-NewVersionErrors` });
    const latency = logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-NewVersionLatencyP99` });
    const throttles = logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-AliasThrottles` });
    const fiveXx = logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-Api5xxRate` });
    expect(watched.Alarms).toEqual([errors, latency, throttles, fiveXx].map((id) => ({ Name: { Ref: id } })));
  });

  test('the new-version alarms read the alias\'s metrics of the version being deployed, 2 of 2 one-minute periods', () => {
    const version = only(template, 'AWS::Lambda::Version').id;
    const handler = (template.findResources('AWS::Lambda::Version')[version]).Properties.FunctionName.Ref;
    const newVersion = [
      { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': [version, 'Version'] } },
      { Name: 'FunctionName', Value: { Ref: handler } },
      { Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: handler }, ':live']] } },
    ];
    const common = { Namespace: 'AWS/Lambda', Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2, TreatMissingData: 'notBreaching', ComparisonOperator: 'GreaterThanThreshold' };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common, AlarmName: `${stage}-Service-NewVersionErrors`, MetricName: 'Errors', Statistic: 'Sum', Threshold: 0, Dimensions: newVersion,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common, AlarmName: `${stage}-Service-NewVersionLatencyP99`, MetricName: 'Duration', ExtendedStatistic: 'p99', Threshold: 1000, Dimensions: newVersion,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common, AlarmName: `${stage}-Service-AliasThrottles`, MetricName: 'Throttles', Statistic: 'Sum', Threshold: 0, Dimensions: newVersion.slice(1),
    });
  });

  test('the alias update runs the deployment with the pre-traffic hook, after the hook and the alarms know the new version', () => {
    const hook = logicalId(template, 'AWS::Lambda::Function', { Handler: 'index.handler', Environment: { Variables: Match.objectLike({ SMOKE_REQUEST: Match.anyValue() }) } });
    const group = only(template, 'AWS::CodeDeploy::DeploymentGroup').id;
    template.hasResource('AWS::Lambda::Alias', {
      UpdatePolicy: {
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: Match.stringLikeRegexp('^CanaryDeploymentGroupApplication') },
          DeploymentGroupName: { Ref: group },
          BeforeAllowTrafficHook: { Ref: hook },
        },
      },
    });
    const { resource: alias } = only(template, 'AWS::Lambda::Alias');
    expect(alias.DependsOn).toEqual(expect.arrayContaining([
      hook,
      logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-NewVersionErrors` }),
      logicalId(template, 'AWS::CloudWatch::Alarm', { AlarmName: `${stage}-Service-NewVersionLatencyP99` }),
    ]));
  });

  test('the hook smoke-tests GET /health on exactly the version being deployed', () => {
    const version = only(template, 'AWS::Lambda::Version').id;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          TARGET_FUNCTION_ARN: { Ref: version },
          SMOKE_REQUEST: JSON.stringify({ method: 'GET', path: '/health' }),
          EXPECTED_STATUS_CODE: '200',
          SMOKE_TIMEOUT_MS: '10000',
        },
      },
      Timeout: 30,
    });
  });

  test('least privilege: the hook invokes only the API function\'s versions and reports only to its deployment group', () => {
    const hook = logicalId(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SMOKE_REQUEST: Match.anyValue() }) } });
    const hookRole = template.findResources('AWS::Lambda::Function')[hook].Properties.Role['Fn::GetAtt'][0];
    const handler = only(template, 'AWS::Lambda::Version').resource.Properties.FunctionName.Ref;
    const group = only(template, 'AWS::CodeDeploy::DeploymentGroup').id;
    expect(Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: hookRole }] } }))).toHaveLength(1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: hookRole }],
      PolicyDocument: {
        Statement: [
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [handler, 'Arn'] }, ':*']] } },
          { Action: 'codedeploy:PutLifecycleEventHookExecutionStatus', Effect: 'Allow', Resource: { 'Fn::Join': ['', Match.arrayWith([{ Ref: group }])] } },
        ],
      },
    });
  });

  test('CodeDeploy may invoke the hook although its name does not start with CodeDeployHook_', () => {
    const hook = logicalId(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SMOKE_REQUEST: Match.anyValue() }) } });
    const groupRole = only(template, 'AWS::CodeDeploy::DeploymentGroup').resource.Properties.ServiceRoleArn['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited']] }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: groupRole }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: Match.arrayWith([{ 'Fn::GetAtt': [hook, 'Arn'] }]) })] },
    });
  });
});

test('the stacks with a canary pass cdk-nag AwsSolutions', () => {
  expect(awsSolutionsFindings(synthesized.pipelineStack.prodStage.service)).toEqual([]);
  expect(awsSolutionsFindings(synthesized.sandbox.service)).toEqual([]);
});

describe('configured traffic shifts', () => {
  const configured = synthesizeTollgate({
    tollgate: {
      canary: {
        prod: 'LINEAR_10PERCENT_EVERY_1MINUTE',
        dev: { type: 'canary', percent: 25, intervalMinutes: 4 },
        tileServer: { prod: { type: 'allAtOnce', bakeMinutes: 12 }, dev: { type: 'canary', percent: 0.5, canaryBakeMinutes: 2, bakeMinutes: 1 } },
      },
    },
  });

  test('a predefined linear configuration in prod, by its CDK name', () => {
    configured.prod.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' });
    configured.prod.resourceCountIs('AWS::CodeDeploy::DeploymentConfig', 0);
  });

  test('a custom canary in dev becomes a deployment config of its own', () => {
    const config = only(configured.dev, 'AWS::CodeDeploy::DeploymentConfig');
    expect(config.resource.Properties).toMatchObject({
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 25, CanaryInterval: 4 } },
    });
    configured.dev.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: { Ref: config.id } });
  });

  test('sandboxes shift all at once whatever dev and prod use', () => {
    configured.sandboxTemplate.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', { DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce' });
    configured.sandboxTemplate.hasResourceProperties('AWS::ECS::Service', { DeploymentConfiguration: Match.objectLike({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 0 }) });
  });

  test("the tile server's own shifts reach prod and dev", () => {
    configured.prod.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Strategy: 'BLUE_GREEN', BakeTimeInMinutes: 12, CanaryConfiguration: Match.absent() }),
    });
    configured.dev.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({ Strategy: 'CANARY', CanaryConfiguration: { CanaryPercent: 0.5, CanaryBakeTimeInMinutes: 2 }, BakeTimeInMinutes: 1 }),
    });
  });
});

describe('CanaryDeployment on its own', () => {
  function stackWith(props: Partial<ConstructorParameters<typeof CanaryDeployment>[2]>): Template {
    const stack = new cdk.Stack(new cdk.App(), 'CanaryTest', { env: { account: '333333333333', region: 'us-east-1' } });
    const fn = new NodejsLambda(stack, 'Fn', { entry: 'lambdas/api/index.ts' });
    const alias = new lambda.Alias(stack, 'Alias', { aliasName: 'blue', version: fn.currentVersion });
    const extra = new cloudwatch.Alarm(stack, 'Extra', { metric: fn.metricInvocations(), threshold: 1, evaluationPeriods: 1 });
    new CanaryDeployment(stack, 'Canary', {
      alias,
      deploymentConfig: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_2MINUTES,
      alarms: [extra],
      smokeTest: { request: { method: 'POST', path: '/items/smoke', body: '{}' }, expectedStatusCode: 201, timeout: cdk.Duration.seconds(3) },
      latencyThreshold: cdk.Duration.millis(250),
      ...props,
    });
    return Template.fromStack(stack);
  }

  test('takes its smoke test, latency threshold and extra alarms from its props', () => {
    const template = stackWith({});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SMOKE_REQUEST: '{"method":"POST","path":"/items/smoke","body":"{}"}', EXPECTED_STATUS_CODE: '201', SMOKE_TIMEOUT_MS: '3000' }) },
      Timeout: 23,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 250, AlarmName: Match.absent() });
    const extra = logicalId(template, 'AWS::CloudWatch::Alarm', { MetricName: 'Invocations' });
    template.hasResourceProperties('AWS::CodeDeploy::DeploymentGroup', {
      DeploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery2Minutes',
      AlarmConfiguration: { Alarms: Match.arrayWith([{ Name: { Ref: extra } }]), Enabled: true },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: Match.arrayWith([{ Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^Fn') }, ':blue']] } }]),
    });
  });

  test('refuses a smoke request it could not send, at synth', () => {
    expect(() => stackWith({ smokeTest: { request: { method: 'GET', path: 'health' } } })).toThrow('invalid smokeRequest.path');
  });
});
