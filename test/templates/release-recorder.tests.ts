/** The release record, its recorder, the dashboard and the release version, in the default app's templates. */
import { Match } from 'aws-cdk-lib/assertions';
import { SHARED_RELEASE_VERSION, sharedTollgate } from '../fixture';

describe('release record and version', () => {
  const synthesized = sharedTollgate();

  test('the record table is kept on delete, with point-in-time recovery, on demand, named after the pipeline', () => {
    synthesized.pipeline.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'Tollgate-ReleaseRecord',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'executionId', KeyType: 'HASH' }],
        SSESpecification: { SSEEnabled: true },
        Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
      }),
    });
  });

  test("the rule sends this pipeline's execution, stage and action changes to the recorder, with retries and a dead-letter queue", () => {
    synthesized.pipeline.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.codepipeline'],
        'detail-type': ['CodePipeline Pipeline Execution State Change', 'CodePipeline Stage Execution State Change', 'CodePipeline Action Execution State Change'],
        resources: [Match.anyValue()],
        detail: { pipeline: [{ Ref: Match.stringLikeRegexp('^ReleasePipeline') }] },
      },
      Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 }, DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
  });

  test("the recorder's role may read and write only its table, read this pipeline's executions, and publish on the topic", () => {
    const policies = synthesized.pipeline.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ReleaseRecorderRole') }] } });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'codepipeline:GetPipelineExecution', 'codepipeline:ListActionExecutions', 'sns:Publish']));
    expect(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('codepipeline:'))).not.toContain('dynamodb:Scan');
    const table = statements.find((s) => [s.Action].flat().includes('dynamodb:PutItem'))!;
    expect(JSON.stringify(table.Resource)).toContain('ReleaseRecord');
    const pipeline = statements.find((s) => [s.Action].flat().includes('codepipeline:GetPipelineExecution'))!;
    expect(JSON.stringify(pipeline.Resource)).toMatch(/arn:aws:codepipeline:us-east-1:111111111111:",\{"Ref":"ReleasePipeline/);
  });

  test("the Build may touch only the version items, exports RELEASE_VERSION, and is told the release line and the commit", () => {
    const { pipeline } = synthesized;
    pipeline.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['counter#*', 'version#*'] } },
          }),
        ]),
      },
    });
    const builds = Object.values(pipeline.findResources('AWS::CodeBuild::Project')).filter((p) => JSON.stringify(p).includes('release-version'));
    expect(builds).toHaveLength(1);
    const spec = JSON.parse(builds[0].Properties.Source.BuildSpec);
    expect(spec.env['exported-variables']).toEqual(['RELEASE_VERSION']);
    const commands: string[] = spec.phases.build.commands;
    expect(commands.indexOf('export RELEASE_VERSION=$(npm run -s release-version)')).toBe(commands.indexOf('npm ci') + 1);
    const actions = JSON.stringify(pipeline.findResources('AWS::CodePipeline::Pipeline'));
    expect(actions).toMatch(/RELEASE_COMMIT_ID.*CommitId/);
    expect(builds[0].Properties.Environment.EnvironmentVariables).toEqual(
      expect.arrayContaining([
        { Name: 'RELEASE', Type: 'PLAINTEXT', Value: '0.1' },
        { Name: 'RELEASE_VERSION_TABLE', Type: 'PLAINTEXT', Value: expect.anything() },
      ]),
    );
  });

  test('the version is carried by the service stages only: the pipeline template does not hold it', () => {
    expect(JSON.stringify(synthesized.pipeline.toJSON())).not.toContain(SHARED_RELEASE_VERSION);
    for (const service of [synthesized.dev, synthesized.prod]) {
      service.hasResourceProperties('AWS::Lambda::Function', {
        Description: 'Sample service API',
        Environment: { Variables: Match.objectLike({ RELEASE_VERSION: SHARED_RELEASE_VERSION }) },
      });
    }
  });

  test('the dashboard shows the release metrics', () => {
    synthesized.pipeline.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Tollgate-Releases' });
    const body = JSON.stringify(synthesized.pipeline.findResources('AWS::CloudWatch::Dashboard'));
    for (const metric of ['Deployments', 'LeadTimeSeconds', 'FailedDeployments', 'HaltLatencySeconds', 'BuildsStopped', 'ReleaseCostDollars']) expect(body).toContain(metric);
    expect(body).toContain('Tollgate/Releases');
  });
});
