import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import { BundledCanaryCode, bundleCanaryScript } from '../../cdk/sample-service/bundled-canary-code';
import { ServiceStack } from '../../cdk/sample-service/service-stack';
import { ServiceStage } from '../../cdk/sample-service/service-stage';
import { syntheticChecksCanaryName, syntheticChecksMetric } from '../../lambdas/shared/synthetic-checks';
import { addAwsSolutionsChecks, awsSolutionsFindings } from '../nag';

describe('the shared names', () => {
  test('the canary is named after the stage, in lowercase', () => {
    expect(syntheticChecksCanaryName('Dev')).toBe('dev-service-checks');
    expect(syntheticChecksCanaryName('Prod')).toBe('prod-service-checks');
    expect(syntheticChecksCanaryName('alice_2')).toBe('alice_2-service-checks');
  });

  test.each([['a.b'], ['Élise'], ['x'.repeat(241)]])('a stage name that cannot make a canary name (%s) is refused', (stage) => {
    expect(() => syntheticChecksCanaryName(stage)).toThrow(/^invalid stageName: a canary name must be lowercase \[0-9a-z_-\] and at most 255 characters/);
  });

  test('the evidence metric is plain data: SuccessPercent of that canary', () => {
    expect(syntheticChecksMetric('dev-service-checks')).toEqual({
      namespace: 'CloudWatchSynthetics',
      metricName: 'SuccessPercent',
      dimensions: { CanaryName: 'dev-service-checks' },
    });
  });
});

/** One dev service stack and one sandbox, in a bare app (no pipeline), not bundled; synthesized once for the file. */
const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
addAwsSolutionsChecks(app);
const env = { account: '222222222222', region: 'us-east-1' };
const devStack = new ServiceStack(new cdk.Stage(app, 'Dev'), 'Service', { environmentKind: 'dev', env });
const sandbox = new ServiceStage(app, 'alice', { environmentKind: 'sandbox', owner: 'alice', env });
const dev = Template.fromStack(devStack);

describe('the synthetic checks in dev', () => {
  test('the canary runs the bundled checks every minute on the Puppeteer 13.0 runtime, under its fixed name', () => {
    dev.resourceCountIs('AWS::Synthetics::Canary', 1);
    dev.hasResourceProperties('AWS::Synthetics::Canary', {
      Name: 'dev-service-checks',
      RuntimeVersion: 'syn-nodejs-puppeteer-13.0',
      Schedule: { Expression: 'rate(1 minute)', DurationInSeconds: '0' },
      Code: { Handler: 'index.handler', S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('\\.zip$') },
      StartCanaryAfterCreation: true,
      ProvisionedResourceCleanup: 'AUTOMATIC',
      SuccessRetentionPeriod: 7,
      FailureRetentionPeriod: 7,
      ArtifactConfig: { S3Encryption: { EncryptionMode: 'SSE_S3' } },
    });
  });

  test('the canary is told the real API endpoint and tile server, and a request timeout within its one-minute run', () => {
    dev.hasResourceProperties('AWS::Synthetics::Canary', {
      RunConfig: Match.objectLike({
        EnvironmentVariables: {
          API_URL: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Api'), 'ApiEndpoint'] },
          TILE_SERVER_URL: { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^TileServerLoadBalancer'), 'DNSName'] }]] },
          CHECK_TIMEOUT_MS: '8000',
        },
      }),
    });
  });

  test('the canary name is a plain string on the stack and an output, equal to what the bake gate computes', () => {
    const name = devStack.syntheticChecks!.canaryName;
    expect(cdk.Token.isUnresolved(name)).toBe(false);
    expect(name).toBe(syntheticChecksCanaryName('Dev'));
    dev.hasOutput('SyntheticChecksCanaryName', { Value: 'dev-service-checks' });
  });

  test('the alarm fires on two failed one-minute runs in a row, on the evidence metric', () => {
    dev.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Dev-Service-SyntheticChecks',
      Namespace: 'CloudWatchSynthetics',
      MetricName: 'SuccessPercent',
      Dimensions: [{ Name: 'CanaryName', Value: 'dev-service-checks' }],
      Statistic: 'Average',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 100,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
    });
  });

  test('the alarm is a child of the environment health composite', () => {
    const [alarmId] = Object.keys(dev.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'Dev-Service-SyntheticChecks' } }));
    expect(alarmId).toBeDefined();
    expect(devStack.alarms).toContain(devStack.syntheticChecks!.alarm);
    const composite = dev.findResources('AWS::CloudWatch::CompositeAlarm', { Properties: { AlarmName: 'Dev-Service-Health' } });
    expect(JSON.stringify(Object.values(composite)[0].Properties.AlarmRule)).toContain(`{"Fn::GetAtt":["${alarmId}","Arn"]}`);
  });

  test('its artifacts bucket: encrypted, private, TLS only, artifacts expire after 7 days, kept with dev', () => {
    const bucket = {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 7, Status: 'Enabled' }] },
    };
    dev.hasResource('AWS::S3::Bucket', { Properties: bucket, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const [bucketId] = Object.keys(dev.findResources('AWS::S3::Bucket', { Properties: Match.objectLike(bucket) }));
    dev.hasResourceProperties('AWS::Synthetics::Canary', { ArtifactS3Location: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }]] } });
    dev.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  test('its role holds only what Synthetics needs, * only where the action has no resource, and invokes only the write route', () => {
    const roleId = Object.keys(dev.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('dev-service-checks') } }))[0];
    const canary = Object.values(dev.findResources('AWS::Synthetics::Canary'))[0];
    expect(canary.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    const role = dev.toJSON().Resources[roleId];
    const attached = Object.values(dev.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`));
    const statements = [...role.Properties.Policies, ...attached.map((p) => p.Properties)].flatMap((p) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'cloudwatch:PutMetricData', 'execute-api:Invoke', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents',
      's3:GetBucketLocation', 's3:GetObject', 's3:ListAllMyBuckets', 's3:PutObject',
    ]);
    const onStar = statements.filter((s) => s.Resource === '*');
    expect(onStar).toEqual([
      { Effect: 'Allow', Action: 's3:ListAllMyBuckets', Resource: '*' },
      { Effect: 'Allow', Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'CloudWatchSynthetics' } } },
    ]);
    const invoke = statements.find((s) => s.Action === 'execute-api:Invoke');
    expect(JSON.stringify(invoke.Resource)).toMatch(/:execute-api:us-east-1:222222222222:",\{"Ref":"Api[0-9A-F]+"\},"\/\*\/PUT\/items\/\*"\]/);
    const logs = statements.find((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(JSON.stringify(logs.Resource)).toContain(':log-group:/aws/lambda/cwsyn-dev-service-checks-*');
  });

  test('the canary starts only once its role and policies exist', () => {
    const canary = Object.values(dev.findResources('AWS::Synthetics::Canary'))[0];
    const policies = Object.keys(dev.findResources('AWS::IAM::Policy')).filter((id) => id.startsWith('SyntheticChecksRole'));
    expect(policies).toHaveLength(1);
    expect(canary.DependsOn).toEqual(expect.arrayContaining(policies));
  });

  test('the stack passes cdk-nag AwsSolutions', () => {
    expect(awsSolutionsFindings(devStack)).toEqual([]);
  });
});

describe('a sandbox', () => {
  test('runs no canary by default (about $52 a month each), and has no canary alarm', () => {
    const template = Template.fromStack(sandbox.service);
    template.resourceCountIs('AWS::Synthetics::Canary', 0);
    expect(sandbox.service.syntheticChecks).toBeUndefined();
    expect(Object.keys(template.findOutputs('SyntheticChecksCanaryName'))).toEqual([]);
    expect(awsSolutionsFindings(sandbox.service)).toEqual([]);
  });
});

describe('the canary bundle', () => {
  const entry = path.join(__dirname, '..', '..', 'lambdas', 'synthetic-checks', 'index.ts');

  test('is one CommonJS file at nodejs/node_modules/index.js exporting handler, with the runtime\'s Synthetics module left out', () => {
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-canary-'));
    const file = bundleCanaryScript(entry, outputDir, 'index');
    expect(path.relative(outputDir, file)).toBe(path.join('nodejs', 'node_modules', 'index.js'));
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toContain('require("Synthetics")');
    expect(source).not.toMatch(/require\("@smithy\//); // the signer is inside the bundle
    // Loading it must not need the runtime: the Synthetics library is only asked for when a run starts.
    expect(typeof require(file).handler).toBe('function');
  });

  test('refuses a Python runtime', () => {
    const stack = new cdk.Stack();
    expect(() => new BundledCanaryCode({ entry }).bind(stack, 'index.handler', synthetics.RuntimeFamily.PYTHON)).toThrow(
      'BundledCanaryCode bundles Node.js canaries only',
    );
  });
});
