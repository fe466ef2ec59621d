/** The operator role on a bare stack: trust, scope and nag, without synthesizing the whole app. */
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { OperatorRole, OperatorRoleProps } from '@tollgate/constructs';
import { addAwsSolutionsChecks, awsSolutionsFindings } from '../nag';

const PIPELINE_ARN = 'arn:aws:codepipeline:us-east-1:111111111111:Tollgate';

function synth(props: Partial<OperatorRoleProps> = {}): { template: Template; stack: cdk.Stack } {
  const app = new cdk.App();
  addAwsSolutionsChecks(app);
  const stack = new cdk.Stack(app, 'Ops', { env: { account: '111111111111', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
  new OperatorRole(stack, 'Operator', {
    roleName: 'Tollgate-Operator',
    pipeline: codepipeline.Pipeline.fromPipelineArn(stack, 'Pipeline', PIPELINE_ARN),
    guardedStageNames: ['Prod'],
    topic,
    ...props,
  });
  return { template: Template.fromStack(stack), stack };
}

const statements = (template: Template) => {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement as { Sid: string; Action: string | string[]; Resource: unknown }[];
};

test('trusts exactly the configured principals, for sessions of at most an hour', () => {
  const principals = ['arn:aws:iam::111111111111:role/OnCall', 'arn:aws:iam::555555555555:role/Incident'];
  const { template } = synth({ principals });
  const [role] = Object.values(template.findResources('AWS::IAM::Role'));
  expect(role.Properties).toMatchObject({ RoleName: 'Tollgate-Operator', MaxSessionDuration: 3600 });
  const trust = role.Properties.AssumeRolePolicyDocument.Statement as { Action: string; Effect: string; Principal: { AWS: string }; Condition?: unknown }[];
  expect(trust.map((t) => [t.Action, t.Effect, t.Condition])).toEqual(principals.map(() => ['sts:AssumeRole', 'Allow', undefined]));
  expect(trust.map((t) => t.Principal.AWS)).toEqual(principals);
});

test("trusts the account's root by default: only principals whose own policy allows it", () => {
  const { template } = synth();
  const [role] = Object.values(template.findResources('AWS::IAM::Role'));
  expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
    { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::111111111111:root']] } } },
  ]);
});

test("may do only what the on-call commands need, on this pipeline's controls, stage, topic and key", () => {
  const { template, stack } = synth();
  const id = (path: string) => stack.getLogicalId(stack.node.findChild(path).node.defaultChild as cdk.CfnElement);
  const ssmArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:us-east-1:111111111111:parameter/${name}`]] });
  expect(statements(template)).toEqual([
    {
      Sid: 'RunTimeControls',
      Effect: 'Allow',
      Action: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:GetParametersByPath'],
      Resource: [ssmArn('tollgate/Tollgate'), ssmArn('tollgate/Tollgate/*')],
    },
    {
      Sid: 'ReadPipeline',
      Effect: 'Allow',
      Action: ['codepipeline:GetPipelineState', 'codepipeline:GetPipelineExecution', 'codepipeline:ListPipelineExecutions'],
      Resource: PIPELINE_ARN,
    },
    {
      Sid: 'GuardStage',
      Effect: 'Allow',
      Action: ['codepipeline:DisableStageTransition', 'codepipeline:EnableStageTransition', 'codepipeline:RollbackStage'],
      Resource: `${PIPELINE_ARN}/Prod`,
    },
    { Sid: 'StopExecutions', Effect: 'Allow', Action: ['codepipeline:StopPipelineExecution', 'codepipeline:RollbackStage'], Resource: PIPELINE_ARN },
    { Sid: 'RejectApprovals', Effect: 'Allow', Action: 'codepipeline:PutApprovalResult', Resource: `${PIPELINE_ARN}/*/*` },
    { Sid: 'Announce', Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: id('Topic') } },
    { Sid: 'AnnounceEncrypted', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [id('TopicKey'), 'Arn'] } },
  ]);
});

test('may assume the environments\' alarm reader roles, each once, so that status reads their health alarms', () => {
  const readers = ['arn:aws:iam::222222222222:role/Tollgate-AlarmReader', 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader'];
  const { template } = synth({ alarmReaderRoleArns: [...readers, readers[0]] });
  expect(statements(template).filter((s) => s.Sid === 'ReadAlarms')).toEqual([{ Sid: 'ReadAlarms', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: readers }]);
  expect(statements(synth().template).map((s) => s.Sid)).not.toContain('ReadAlarms');
});

test('nothing account-wide: no statement on "*"', () => {
  const { template } = synth();
  for (const s of statements(template)) expect([s.Resource].flat()).not.toContain('*');
});

test('cdk-nag AwsSolutions finds nothing unsuppressed', () => {
  const { stack } = synth();
  expect(awsSolutionsFindings(stack)).toEqual([]);
});
