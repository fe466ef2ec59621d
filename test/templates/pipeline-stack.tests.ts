import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as cdk from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { DERIVED_NAMES } from '../../cdk/pipeline-name';
import { sharedTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();
const template = synthesized.pipeline;


function pipelineProperties(t = template): Record<string, any> {
  const pipelines = Object.values(t.findResources('AWS::CodePipeline::Pipeline'));
  expect(pipelines).toHaveLength(1);
  return pipelines[0].Properties;
}

function stage(name: string, t = template): Record<string, any> {
  const found = pipelineProperties(t).Stages.find((s: { Name: string }) => s.Name === name);
  expect(found).toBeDefined();
  return found;
}

describe('the release pipeline', () => {
  test('is a V2 pipeline named from configuration', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2', Name: 'Tollgate', ExecutionMode: 'SUPERSEDED' });
  });

  test('promotes in order: source, build, self-update, assets, the pipeline sandbox, dev (with its bake), prod', () => {
    expect(pipelineProperties().Stages.map((s: { Name: string }) => s.Name)).toEqual([
      'Source',
      'Build',
      'UpdatePipeline',
      'Assets',
      'Sandbox',
      'Dev',
      'Prod',
    ]);
  });

  test('a push to main of the configured repository triggers it, through CodeConnections', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Triggers: [
        {
          ProviderType: 'CodeStarSourceConnection',
          GitConfiguration: { SourceActionName: 'example-org_tollgate', Push: [{ Branches: { Includes: ['main'] } }] },
        },
      ],
    });
    expect(stage('Source').Actions[0]).toMatchObject({
      ActionTypeId: { Provider: 'CodeStarSourceConnection' },
      Configuration: {
        FullRepositoryId: 'example-org/tollgate',
        BranchName: 'main',
        ConnectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/00000000-0000-0000-0000-000000000000',
      },
    });
  });

  test('the build installs, assigns the release version, tests, synthesizes once and checks the gate floor before self-mutation', () => {
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: {
        BuildSpec: Match.serializedJson(
          Match.objectLike({
            phases: Match.objectLike({
              install: { 'runtime-versions': { nodejs: '22' } },
              build: { commands: ['npm ci', 'export RELEASE_VERSION=$(npm run -s release-version)', 'npm test', 'npm run synth', 'npm run gate-check'] },
            }),
            artifacts: Match.objectLike({ 'base-directory': 'cdk.out' }),
          }),
        ),
      },
    });
  });

  test('self-mutation installs the pinned 2.x CLI, never npm latest', () => {
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Source: { BuildSpec: Match.serializedJson(Match.objectLike({ phases: Match.objectLike({ install: { commands: ['npm install -g aws-cdk@2.1148.1'] } }) })) },
    });
  });

  test('artifacts are encrypted with a customer-managed, rotated KMS key', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: { Type: 'S3', EncryptionKey: { Type: 'KMS', Id: { 'Fn::GetAtt': [Match.stringLikeRegexp('ArtifactsBucketEncryptionKey'), 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }] },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  test('artifacts that rollback redeploys survive later builds: versioned, undeletable, bucket and key retained', () => {
    const [[bucketId, bucket]] = Object.entries(template.findResources('AWS::S3::Bucket', { Properties: { BucketEncryption: Match.anyValue(), VersioningConfiguration: Match.anyValue() } }));
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
    ]);
    // The pipeline uses the bucket it always had: no replacement, no orphaned artifacts.
    expect(bucketId).toMatch(/^ReleasePipelineArtifactsBucket/);
    const keyId = bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID['Fn::GetAtt'][0];
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(template.toJSON().Resources[keyId]).toMatchObject({ DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'NoArtifactIsDeleted', Effect: 'Deny', Principal: { AWS: '*' }, Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'] }),
        ]),
      },
    });
  });

  test.each([
    ['Dev', '222222222222', 'Dev-Service'],
    ['Prod', '333333333333', 'Prod-Service'],
  ])('%s deploys %s through the bootstrap roles of that account', (name, account, stackName) => {
    const actions = (stage(name).Actions as Array<Record<string, any>>).filter((a) => a.ActionTypeId.Category === 'Deploy');
    expect(actions.map((a) => a.Name)).toEqual(['Prepare', 'Deploy']);
    for (const action of actions) {
      expect(action.Configuration.StackName).toBe(stackName);
      expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${account}:role/cdk-hnb659fds-deploy-role-${account}-us-east-1`);
    }
    // CloudFormation in the target account runs the change set with that account's execution role.
    expect(JSON.stringify(actions[0].Configuration.RoleArn)).toContain(`:iam::${account}:role/cdk-hnb659fds-cfn-exec-role-${account}-us-east-1`);
    // The one artifact built is what every stage deploys.
    expect(actions[0].InputArtifacts).toEqual([{ Name: 'Build_Output' }]);
  });

  test('the artifact key lets the target accounts decrypt what they deploy', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    const policy = JSON.stringify(keys.map((k) => k.Properties.KeyPolicy));
    expect(policy).toContain(':iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-east-1');
    expect(policy).toContain(':iam::333333333333:role/cdk-hnb659fds-deploy-role-333333333333-us-east-1');
  });

  test('every role and topic named after the pipeline is one whose length the pipeline-name limit accounts for', () => {
    const known = new Set(DERIVED_NAMES.map((d) => d.name('Tollgate')));
    const named = [synthesized.pipeline, synthesized.dev, synthesized.prod].flatMap((t) => [
      ...Object.values(t.findResources('AWS::IAM::Role')).map((r) => r.Properties.RoleName),
      ...Object.values(t.findResources('AWS::SNS::Topic')).map((r) => r.Properties.TopicName),
    ]);
    const derived = named.filter((name): name is string => typeof name === 'string' && name.startsWith('Tollgate'));
    expect(derived.length).toBeGreaterThanOrEqual(3);
    expect(derived.filter((name) => !known.has(name))).toEqual([]);
  });

  test('passes cdk-nag AwsSolutions', () => {
    expect(awsSolutionsFindings(synthesized.pipelineStack)).toEqual([]);
  });
});

/** Whether `version` lies in a caret range such as `^2.276.0`: the same major, and no older. */
function inCaretRange(version: string, range: string): boolean {
  const parse = (v: string) => v.replace(/^\^/, '').split('-')[0].split('.').map(Number);
  const [have, want] = [parse(version), parse(range)];
  if (!range.startsWith('^') || have[0] !== want[0]) return false;
  for (let i = 1; i < 3; i++) if (have[i] !== want[i]) return have[i] > want[i];
  return true;
}

describe('stage conditions', () => {
  test('Prod, and only Prod, rolls back on failure: one OnFailure in the whole pipeline', () => {
    const rendered = pipelineProperties().Stages.map((s: Record<string, unknown>) => [s.Name, s.BeforeEntry, s.OnSuccess, s.OnFailure]);
    expect(rendered).toEqual([
      ['Source', undefined, undefined, undefined],
      ['Build', undefined, undefined, undefined],
      ['UpdatePipeline', undefined, undefined, undefined],
      ['Assets', undefined, undefined, undefined],
      ['Sandbox', undefined, undefined, undefined],
      ['Dev', undefined, undefined, undefined],
      ['Prod', undefined, undefined, { Result: 'ROLLBACK' }],
    ]);
  });

  // Pinned to the aws-cdk-lib range of package.json: the override is written because CDK Pipelines renders no
  // conditions itself. A release that does would be caught at synth too (StageConditionOverrides validates).
  test('the installed aws-cdk-lib, within the range package.json allows, renders no conditions for CDK Pipelines stages', () => {
    const range: string = require('../../package.json').dependencies['aws-cdk-lib'];
    const version: string = require('aws-cdk-lib/package.json').version;
    expect({ version, inRange: inCaretRange(version, range) }).toEqual({ version, inRange: true });
    const resource = synthesized.pipelineStack.releasePipeline.codePipeline.node.defaultChild as codepipeline.CfnPipeline;
    // The L2's own rendering of the stages, without overrides.
    const own = cdk.Stack.of(resource).resolve(resource.stages) as Record<string, unknown>[];
    expect(own.map((s) => [s.name, s.beforeEntry, s.onSuccess, s.onFailure])).toEqual(
      ['Source', 'Build', 'UpdatePipeline', 'Assets', 'Sandbox', 'Dev', 'Prod'].map((name) => [name, undefined, undefined, undefined]),
    );
  });

  test('inCaretRange reads a caret range as npm does for x.y.z', () => {
    expect(['2.276.0', '2.276.3', '2.300.0', '3.0.0', '2.275.9'].map((v) => inCaretRange(v, '^2.276.0'))).toEqual([true, true, true, false, false]);
  });
});
