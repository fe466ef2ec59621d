import { Match } from 'aws-cdk-lib/assertions';
import { sharedTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();

describe.each([
  ['Dev', synthesized.dev],
  ['Prod', synthesized.prod],
])('the %s service stack', (stage, template) => {
  test('the API invokes the function through the live alias, never $LATEST', () => {
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      FunctionVersion: { 'Fn::GetAtt': [Match.stringLikeRegexp('HandlerCurrentVersion'), 'Version'] },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { Ref: Match.stringLikeRegexp('^Live') },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  test('old versions are retained so traffic can shift back to them', () => {
    template.hasResource('AWS::Lambda::Version', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('the table keeps its data: retained, deletion-protected, point-in-time recovery on', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      }),
    });
  });

  test.each([
    ['Api5xxRate', { Threshold: 1, Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(requests > 0, 100 * errors / requests, 0)' })]) }],
    ['ApiLatencyP99', { Threshold: 1000, ExtendedStatistic: 'p99', MetricName: 'Latency', Namespace: 'AWS/ApiGateway', Period: 60 }],
    ['LambdaErrors', { Threshold: 0, MetricName: 'Errors', Namespace: 'AWS/Lambda', Period: 60, Statistic: 'Sum' }],
    ['LambdaThrottles', { Threshold: 0, MetricName: 'Throttles', Namespace: 'AWS/Lambda', Period: 60, Statistic: 'Sum' }],
  ])('alarm %s: one-minute resolution, 2 of 2 datapoints, missing data is not breaching', (name, props) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stage}-Service-${name}`,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      ComparisonOperator: 'GreaterThanThreshold',
      ...props,
    });
  });

  test('the math alarm reads 5xx and request counts per minute', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${stage}-Service-Api5xxRate`,
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'errors', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: '5xx' }), Period: 60, Stat: 'Sum' }) }),
        Match.objectLike({ Id: 'requests', MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'Count' }), Period: 60, Stat: 'Sum' }) }),
      ]),
    });
  });

  test('the environment health alarm is a composite over the service, tile server and synthetic checks alarms', () => {
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 1);
    const composite = Object.values(template.findResources('AWS::CloudWatch::CompositeAlarm'))[0];
    expect(composite.Properties.AlarmName).toBe(`${stage}-Service-Health`);
    const rule = JSON.stringify(composite.Properties.AlarmRule);
    // The canary's new-version alarms watch one deployment; the environment's health is the rest.
    const healthAlarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).filter((id) => !id.startsWith('Canary'));
    expect(healthAlarms).toHaveLength(7);
    expect(healthAlarms.filter((id) => id.startsWith('SyntheticChecks'))).toHaveLength(1);
    for (const alarm of healthAlarms) {
      expect(rule).toContain(`ALARM(\\"",{"Fn::GetAtt":["${alarm}","Arn"]}`);
    }
    expect(rule.match(/ALARM\(/g)).toHaveLength(7);
    expect(rule.match(/ OR /g)).toHaveLength(6);
  });

  test('writes need IAM authorization; reads and the catch-all stay public, all to the live alias', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(Object.fromEntries(routes.map((r) => [r.RouteKey, r.AuthorizationType]))).toEqual({
      'PUT /items/{id}': 'AWS_IAM',
      'GET /items/{id}': 'NONE',
      'GET /health': 'NONE',
      $default: 'NONE',
    });
    // The public-API suppression sits on the public routes only: the write route and the API itself carry none.
    const apig4 = (resource: { Metadata?: unknown }) => JSON.stringify(resource.Metadata ?? {}).includes('AwsSolutions-APIG4');
    const byKey = Object.fromEntries(Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => [r.Properties.RouteKey, apig4(r)]));
    expect(byKey).toEqual({ 'PUT /items/{id}': false, 'GET /items/{id}': true, 'GET /health': true, $default: true });
    expect(Object.values(template.findResources('AWS::ApiGatewayV2::Api')).map(apig4)).toEqual([false]);
    // One integration (the alias) behind every route.
    template.resourceCountIs('AWS::ApiGatewayV2::Integration', 1);
    expect(new Set(routes.map((r) => JSON.stringify(r.Target))).size).toBe(1);
  });

  test('API access logs are kept and the stage is throttled', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
      DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
    });
  });
});

test('the service stacks pass cdk-nag AwsSolutions', () => {
  expect(awsSolutionsFindings(synthesized.pipelineStack.devStage.service)).toEqual([]);
  expect(awsSolutionsFindings(synthesized.pipelineStack.prodStage.service)).toEqual([]);
  expect(awsSolutionsFindings(synthesized.sandbox.service)).toEqual([]);
});
