import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipelineActions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ReleasePipeline } from '@tollgate/constructs';

// The release pipeline alone in a bare stack with Dev and Prod stages: cheap, and the stages are what matters.
function bareRelease(): { stack: cdk.Stack; release: ReleasePipeline } {
  const app = new cdk.App();
  const stack = new cdk.Stack(app, 'Pipeline', { env: { account: '111111111111', region: 'us-east-1' } });
  const stages = ['Dev', 'Prod'].map((name) => {
    const stage = new cdk.Stage(app, name, { env: { account: '222222222222', region: 'us-east-1' } });
    new sns.Topic(new cdk.Stack(stage, 'Service'), 'Topic');
    return stage;
  });
  const release = new ReleasePipeline(stack, 'Release', {
    pipelineName: 'Tollgate',
    source: { fullName: 'org/repo', branch: 'main', connectionArn: 'arn:aws:codeconnections:us-east-1:111111111111:connection/abc' },
    stages,
    cliVersion: '2.1148.1',
    cdkAssetsCliVersion: '4.7.3',
  });
  release.buildPipeline();
  return { stack, release };
}

type Json = Record<string, any>;
const stagesOf = (template: Template): Json[] => Object.values(template.findResources('AWS::CodePipeline::Pipeline'))[0].Properties.Stages;
const conditionsOf = (stage: Json) => ({ BeforeEntry: stage.BeforeEntry, OnSuccess: stage.OnSuccess, OnFailure: stage.OnFailure });

describe('ReleasePipeline.addStageConditions', () => {
  test('renders V2 conditions in CloudFormation spelling, a rule configuration as written, on the stage wherever it ends up', () => {
    const { stack, release } = bareRelease();
    release.rollBackOnFailure('Prod');
    release.addStageConditions('Dev', {
      onSuccess: {
        conditions: [
          {
            result: 'ROLLBACK',
            rules: [
              {
                name: 'DevHealthy',
                ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'CloudWatchAlarm', version: '1' },
                configuration: { AlarmName: 'Dev-Service-Health', AlarmStates: '["ALARM"]', WaitTime: '30' },
              },
            ],
          },
        ],
      },
      onFailure: { result: 'RETRY', retryConfiguration: { retryMode: 'FAILED_ACTIONS' } },
    });
    // Added after the conditions, before both stages: their indexes move, the conditions follow them.
    release.codePipeline.addStage({
      stageName: 'Extra',
      placement: { justAfter: release.stage('UpdatePipeline') },
      actions: [new codepipelineActions.ManualApprovalAction({ actionName: 'Look' })],
    });

    const stages = stagesOf(Template.fromStack(stack));
    expect(stages.map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Extra', 'Dev', 'Prod']);
    expect(stages.filter((s) => !['Dev', 'Prod'].includes(s.Name)).map(conditionsOf)).toEqual(Array(4).fill({}));
    expect(conditionsOf(stages[5])).toEqual({ OnFailure: { Result: 'ROLLBACK' } });
    expect(conditionsOf(stages[4])).toEqual({
      OnSuccess: {
        Conditions: [
          {
            Result: 'ROLLBACK',
            Rules: [
              {
                Name: 'DevHealthy',
                RuleTypeId: { Category: 'Rule', Owner: 'AWS', Provider: 'CloudWatchAlarm', Version: '1' },
                Configuration: { AlarmName: 'Dev-Service-Health', AlarmStates: '["ALARM"]', WaitTime: '30' },
              },
            ],
          },
        ],
      },
      OnFailure: { Result: 'RETRY', RetryConfiguration: { RetryMode: 'FAILED_ACTIONS' } },
    });
  });

  test('refuses a second condition of the same kind on a stage, and a token where the structure goes', () => {
    const { release } = bareRelease();
    release.rollBackOnFailure('Prod');
    release.addStageConditions('Prod', { beforeEntry: { conditions: [] } });
    expect(() => release.rollBackOnFailure('Prod')).toThrow('stage Prod already has onFailure conditions');
    const { stack, release: other } = bareRelease();
    other.addStageConditions('Dev', { onFailure: { retryConfiguration: cdk.Lazy.any({ produce: () => ({ retryMode: 'ALL_ACTIONS' }) }) } });
    expect(() => Template.fromStack(stack)).toThrow('stage conditions: give conditions.retryConfiguration as plain values, not a token');
  });

  test('a stage that is not in the pipeline at synth fails synth, naming the stages there are', () => {
    const { stack, release } = bareRelease();
    release.rollBackOnFailure('Staging');
    expect(() => Template.fromStack(stack)).toThrow(/pipeline has no stage Staging to give conditions to; stages: Source, Build, UpdatePipeline, Dev, Prod/);
  });

  test('the stage() lookup names the stages there are', () => {
    const { release } = bareRelease();
    expect(() => release.stage('Nope')).toThrow('pipeline has no stage Nope; stages: Source, Build, UpdatePipeline, Dev, Prod');
  });

  test('synth fails, rather than one replacing the other, when the L2 renders conditions of its own for that stage', () => {
    const { stack, release } = bareRelease();
    release.codePipeline.addStage({
      stageName: 'Manual',
      onFailure: { result: codepipeline.Result.FAIL },
      actions: [new codepipelineActions.ManualApprovalAction({ actionName: 'Look' })],
    });
    release.rollBackOnFailure('Manual');
    expect(() => Template.fromStack(stack)).toThrow(/aws-cdk-lib renders onFailure of stage Manual itself; the override would replace it/);
  });
});
