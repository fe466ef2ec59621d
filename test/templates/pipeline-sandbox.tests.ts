import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EXPIRES_TAG, OWNER_TAG, SANDBOX_TAG } from '../../lambdas/shared/sandbox-tags';
import { INTEGRATION_TESTS_ACTION, PipelineSandbox, SANDBOX_STAGE_NAME } from '../../cdk/pipeline-sandbox';
import { sharedTollgate } from '../fixture';

interface PipelineStageJson {
  readonly Name: string;
  readonly Actions: { Name: string; RunOrder: number; ActionTypeId: { Provider: string }; Configuration?: Record<string, unknown> }[];
}

describe("the pipeline's Sandbox stage", () => {
  const synthesized = sharedTollgate();
  const { pipelineSandbox } = synthesized.pipelineStack;
  const stack = pipelineSandbox.stage.service;
  const sandbox = () => Template.fromStack(stack);
  const stages = (): PipelineStageJson[] => {
    const pipelines = Object.values(synthesized.pipeline.findResources('AWS::CodePipeline::Pipeline'));
    expect(pipelines).toHaveLength(1);
    return pipelines[0].Properties.Stages as PipelineStageJson[];
  };

  test('comes after Assets and before Dev: prepare, the replacement guard, deploy, then the integration tests', () => {
    expect(stages().map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', SANDBOX_STAGE_NAME, 'Dev', 'Prod']);
    const actions = stages().find((s) => s.Name === SANDBOX_STAGE_NAME)!.Actions;
    const ordered = [...actions].sort((a, b) => a.RunOrder - b.RunOrder).map((a) => [a.ActionTypeId.Provider, a.Name]);
    expect(ordered).toEqual([
      ['CloudFormation', 'Pipeline-Service.Prepare'],
      ['CodeBuild', 'Pipeline-Service.ReplacementGuard-Pipeline-Service'],
      ['CloudFormation', 'Pipeline-Service.Deploy'],
      ['CodeBuild', INTEGRATION_TESTS_ACTION],
    ]);
  });

  test('deploys Pipeline-Service, from the same ServiceStage code, into the sandbox account, never dev or prod', () => {
    expect(stack.stackName).toBe('Pipeline-Service');
    expect(stack.account).toBe(synthesized.config.sandbox.account);
    expect([synthesized.config.dev.account, synthesized.config.prod.account, synthesized.config.deployment.account]).not.toContain(stack.account);
    sandbox().hasResourceProperties('AWS::Lambda::Alias', { Name: 'live' });
    sandbox().resourceCountIs('AWS::Synthetics::Canary', 0);
  });

  test('refuses a sandbox account that is a release account', () => {
    const { config } = synthesized;
    // In a scratch stack: the shared app is synthesized once and must not change.
    const scratch = new cdk.Stack(new cdk.App(), 'Scratch', { env: config.deployment });
    expect(
      () =>
        new PipelineSandbox(scratch, 'Misplaced', {
          pipelineName: 'X',
          deployment: config.deployment,
          sandbox: config.dev,
          releaseAccounts: [config.dev.account, config.prod.account],
          canary: config.canary,
          settings: config.pipelineSandbox,
          source: synthesized.pipelineStack.releasePipeline.source,
        }),
    ).toThrow(`the sandbox account ${config.dev.account} is a release account`);
  });

  test('is disposable like a personal sandbox and tagged as the sandbox Pipeline, owner pipeline, no expiry', () => {
    const resources = sandbox().toJSON().Resources as Record<string, { DeletionPolicy?: string }>;
    expect(Object.entries(resources).filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')).toEqual([]);
    sandbox().hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] }) });
    expect(stack.tags.tagValues()).toEqual({ [SANDBOX_TAG]: 'Pipeline', [OWNER_TAG]: 'pipeline' });
    expect(stack.tags.tagValues()).not.toHaveProperty(EXPIRES_TAG);
  });

  test("the tests' CodeBuild project reads the stage's outputs and reports to its report group", () => {
    const testsAction = stages().find((s) => s.Name === SANDBOX_STAGE_NAME)!.Actions.find((a) => a.Name === INTEGRATION_TESTS_ACTION)!;
    const env = JSON.parse(testsAction.Configuration!.EnvironmentVariables as string) as { name: string; value: string }[];
    expect(env).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'API_URL', value: expect.stringMatching(/^#\{\w*PipelineSandboxService\w*\.ApiUrl\}$/) }),
        expect.objectContaining({ name: 'TILE_SERVER_URL', value: expect.stringMatching(/^#\{\w*PipelineSandboxService\w*\.TileServerUrl\}$/) }),
      ]),
    );
    const project = synthesized.pipeline.findResources('AWS::CodeBuild::Project', {
      Properties: { Source: { BuildSpec: Match.stringLikeRegexp('test:integration') } },
    });
    expect(Object.keys(project)).toHaveLength(1);
    const buildSpec = JSON.parse(Object.values(project)[0].Properties.Source.BuildSpec);
    const reports = Object.values(buildSpec.reports) as Record<string, unknown>[];
    expect(reports).toEqual([{ files: ['junit.xml'], 'base-directory': 'reports/integration', 'file-format': 'JUNITXML' }]);
    synthesized.pipeline.hasResourceProperties('AWS::CodeBuild::ReportGroup', { Name: 'Tollgate-integration-tests', Type: 'TEST' });
  });

  test('the tests may sign writes only through the invoker role, which has execute-api:Invoke on the PUT route', () => {
    synthesized.pipeline.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('TestsRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sts:AssumeRole', Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':iam::444444444444:role/Tollgate-SbxInvoke'])] }) }),
        ]),
      },
    });
    sandbox().hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Tollgate-SbxInvoke',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { AWS: 'arn:aws:iam::111111111111:role/Tollgate-SbxTests' } })] },
    });
    sandbox().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('IntegrationTestInvoker') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'execute-api:Invoke', Resource: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/*/PUT/items/*'])] }) })] },
    });
  });

  test('a failed tests action is announced on the release topic', () => {
    synthesized.pipeline.hasResourceProperties('AWS::Events::Rule', {
      Name: 'Tollgate-sandbox-tests-failed',
      EventPattern: {
        source: ['aws.codepipeline'],
        'detail-type': ['CodePipeline Action Execution State Change'],
        detail: Match.objectLike({ stage: [SANDBOX_STAGE_NAME], action: [INTEGRATION_TESTS_ACTION], state: ['FAILED'] }),
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('BakeGateTopic') } })],
    });
  });
});
