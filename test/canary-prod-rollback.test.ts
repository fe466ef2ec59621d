import * as cdk from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { Match } from 'aws-cdk-lib/assertions';
import { rollBackStageOnAlarm } from '../cdk/pipeline/stage-rollback';
import { synthesizeTollgate } from './fixture';
import { awsSolutionsFindings } from './nag';

const READER_ROLE_ARN = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:role/Prod-Service-PipelineAlarmReader']] };

function stage(template: ReturnType<typeof synthesizeTollgate>['pipeline'], name: string): Record<string, any> {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  return pipeline.Properties.Stages.find((s: { Name: string }) => s.Name === name);
}

const synthesized = synthesizeTollgate();

describe('the Prod stage', () => {
  const pipeline = synthesized.pipeline;

  test('rolls back when prod\'s health alarm fires within 30 minutes of a successful deployment', () => {
    expect(stage(pipeline, 'Prod').OnSuccess).toEqual({
      Conditions: [
        {
          Result: 'ROLLBACK',
          Rules: [
            {
              Name: 'ProdHealthyAfterDeploy',
              RuleTypeId: { Category: 'Rule', Owner: 'AWS', Provider: 'CloudWatchAlarm', Version: '1' },
              // WaitTime is in minutes.
              Configuration: { AlarmName: 'Prod-Service-Health', WaitTime: '30' },
              Region: 'us-east-1',
              RoleArn: READER_ROLE_ARN,
            },
          ],
        },
      ],
    });
  });

  test('rolls back on any failure', () => {
    expect(stage(pipeline, 'Prod').OnFailure).toEqual({ Result: 'ROLLBACK' });
  });

  test('Dev has no conditions of ours', () => {
    const dev = stage(pipeline, 'Dev');
    expect(dev.OnSuccess).toBeUndefined();
    expect(dev.OnFailure).toBeUndefined();
  });

  test('the pipeline role may assume the alarm reader role in prod\'s account', () => {
    const [pipelineResource] = Object.values(pipeline.findResources('AWS::CodePipeline::Pipeline'));
    const pipelineRole = pipelineResource.Properties.RoleArn['Fn::GetAtt'][0];
    const [policy] = Object.values(pipeline.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: pipelineRole }] } }));
    const assume = policy.Properties.PolicyDocument.Statement.find((s: { Action: string }) => s.Action === 'sts:AssumeRole');
    expect(assume.Resource).toContainEqual(READER_ROLE_ARN);
  });

  test('prod\'s reader role trusts the deployment account and may only describe the health alarm', () => {
    synthesized.prod.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Prod-Service-PipelineAlarmReader',
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111111111111:root' } }],
      },
      Policies: [{
        PolicyName: 'ReadAlarms',
        PolicyDocument: { Statement: [{ Action: 'cloudwatch:DescribeAlarms', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Health'), 'Arn'] } }] },
      }],
    });
    const composite = Object.keys(synthesized.prod.findResources('AWS::CloudWatch::CompositeAlarm'));
    const reader = Object.values(synthesized.prod.findResources('AWS::IAM::Role', { Properties: { RoleName: 'Prod-Service-PipelineAlarmReader' } }))[0];
    expect(reader.Properties.Policies[0].PolicyDocument.Statement[0].Resource).toEqual({ 'Fn::GetAtt': [composite[0], 'Arn'] });
  });

  test('only prod gets a reader role', () => {
    synthesized.dev.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: Match.stringLikeRegexp('PipelineAlarmReader') }, 0);
    synthesized.sandboxTemplate.resourcePropertiesCountIs('AWS::IAM::Role', { RoleName: Match.stringLikeRegexp('PipelineAlarmReader') }, 0);
  });

  test('the pipeline and prod stacks pass cdk-nag AwsSolutions', () => {
    expect(awsSolutionsFindings(synthesized.pipelineStack)).toEqual([]);
    expect(awsSolutionsFindings(synthesized.pipelineStack.prodStage.service)).toEqual([]);
  });
});

test('the watch time is the bake section\'s prodBakeMinutes, in minutes', () => {
  const synthesized = synthesizeTollgate({ tollgate: { bake: { prodBakeMinutes: 45 } } });
  expect(stage(synthesized.pipeline, 'Prod').OnSuccess.Conditions[0].Rules[0].Configuration).toEqual({ AlarmName: 'Prod-Service-Health', WaitTime: '45' });
});

test('a prod bake of 0 minutes watches nothing but still rolls back on failure', () => {
  const synthesized = synthesizeTollgate({ tollgate: { bake: { prodBakeMinutes: 0 } } });
  const prod = stage(synthesized.pipeline, 'Prod');
  expect(prod.OnSuccess).toBeUndefined();
  expect(prod.OnFailure).toEqual({ Result: 'ROLLBACK' });
  expect(JSON.stringify(synthesized.pipeline.toJSON())).not.toContain('Prod-Service-PipelineAlarmReader');
});

test('rollBackStageOnAlarm refuses a watch time that is not whole minutes', () => {
  expect(() => rollBackStageOnAlarm(synthesized.pipelineStack.releasePipeline, 'Dev', {
    alarmName: 'Dev-Service-Health',
    alarmRegion: 'us-east-1',
    alarmReaderRoleArn: 'arn:aws:iam::222222222222:role/reader',
    watchTime: cdk.Duration.seconds(30),
  })).toThrow('stage Dev: the alarm watch time must be a whole number of minutes, got Duration.seconds(30)');
  // …and a second set of conditions on Prod.
  expect(() => synthesized.pipelineStack.releasePipeline.setStageConditions('Prod', { onFailure: { result: codepipeline.Result.ROLLBACK } }))
    .toThrow('stage Prod already has onFailure conditions');
});
