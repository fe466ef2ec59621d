import * as fs from 'node:fs';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../cdk/config';
import { SandboxCleanerStack } from '../../cdk/sandbox-cleaner-stack';
import { resolveSandboxExpiry } from '../../cdk/sandbox-expiry';
import { EXPIRES_TAG } from '../../lambdas/shared/sandbox-tags';
import { synthesizeTollgate } from '../fixture';
import { addAwsSolutionsChecks, awsSolutionsFindings } from '../nag';

describe('the sandbox cleaner stack', () => {
  // On its own (the app test checks that the app holds it, in the sandbox account), with cdk.json's flags.
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const app = new cdk.App({ context: cdkJson.context });
  addAwsSolutionsChecks(app);
  const stack = new SandboxCleanerStack(app, 'Tollgate-SandboxCleaner', { env: { account: '444444444444', region: 'us-east-1' }, prodAccount: '333333333333' });
  const template = Template.fromStack(stack);

  test('tells the function which account is prod', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Environment: { Variables: Match.objectLike({ PROD_ACCOUNT: '333333333333' }) },
    });
  });

  test('runs every hour', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(stack.cleaner.node.defaultChild as cdk.CfnElement), 'Arn'] } })],
    });
  });

  test('may list stacks, delete only stacks carrying the sandbox tag, and pass only the bootstrap execution role to CloudFormation', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      // Lambda hands a run that failed its retries to the dead-letter queue with the function's role.
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CleanerDeadLetters/), 'Arn'] } },
      { Sid: 'ListStacks', Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: '*' },
      {
        Sid: 'DeleteSandboxStacksOnly',
        Effect: 'Allow',
        Action: 'cloudformation:DeleteStack',
        Resource: 'arn:aws:cloudformation:us-east-1:444444444444:stack/*',
        Condition: { Null: { 'aws:ResourceTag/tollgate:sandbox': 'false' } },
      },
      {
        Sid: 'ReuseStackRoles',
        Effect: 'Allow',
        Action: 'iam:PassRole',
        Resource: 'arn:aws:iam::444444444444:role/cdk-hnb659fds-cfn-exec-role-444444444444-us-east-1',
        Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      },
    ]);
    // Nothing else: no managed policy beyond the logs-only basic execution role.
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }],
    });
  });

  test('a failing cleaner pages: errors in the last two runs, or a run that failed its retries, on an encrypted topic its alarms can publish to', () => {
    const topicRef = { Ref: Match.stringLikeRegexp('^Alerts') };
    template.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Tollgate-sandbox-cleaner-alerts', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Period: 3600,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      Threshold: 0,
      AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', AlarmActions: [topicRef] });
    template.hasResourceProperties('AWS::Lambda::Function', { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CleanerDeadLetters'), 'Arn'] } } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'CloudWatchAlarmsOfThisAccount', Principal: { Service: 'cloudwatch.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '444444444444' }, ArnLike: Match.anyValue() } }),
        ]),
      },
    });
  });

  test('passes cdk-nag AwsSolutions', () => {
    expect(awsSolutionsFindings(stack)).toEqual([]);
  });
});

test('the cleaner refuses to be deployed into the prod account', () => {
  const app = new cdk.App();
  expect(() => new SandboxCleanerStack(app, 'Cleaner', { env: { account: '333333333333', region: 'us-east-1' }, prodAccount: '333333333333' })).toThrow(
    'Cleaner: the sandbox cleaner must not be deployed into the prod account 333333333333',
  );
});

describe('a sandbox expiry at synth', () => {
  const now = new Date('2026-11-22T10:30:15.500Z');
  const synthesized = synthesizeTollgate({ sandbox: 'bob' }, { now: () => now });

  test('defaults to seven days from now, so a plain cdk deploy of a sandbox expires too', () => {
    expect(resolveSandboxExpiry(undefined, now)).toBe('2026-11-29T10:30:15Z');
    expect(synthesized.sandbox.service.tags.tagValues()[EXPIRES_TAG]).toBe('2026-11-29T10:30:15Z');
  });

  test('takes the sandboxExpires context value that `tollgate sandbox deploy` sets', () => {
    expect(resolveSandboxExpiry('2026-12-01T09:00:00Z', now)).toBe('2026-12-01T09:00:00Z');
  });

  test('is tagged on sandbox stacks only, never on dev or prod', () => {
    expect(synthesized.pipelineStack.devStage.service.tags.tagValues()[EXPIRES_TAG]).toBeUndefined();
    expect(synthesized.pipelineStack.prodStage.service.tags.tagValues()[EXPIRES_TAG]).toBeUndefined();
  });

  test.each([
    ['2026-12-01', 'must be a UTC instant like 2026-12-01T09:30:00Z'],
    [20261201, 'must be a UTC instant like 2026-12-01T09:30:00Z'],
    ['2026-11-22T10:30:00Z', 'must be in the future and at most 30 days ahead'],
    ['2026-12-23T10:30:00Z', 'must be in the future and at most 30 days ahead'],
  ])('refuses %j: %s', (value, expectation) => {
    expect(() => resolveSandboxExpiry(value, now)).toThrow(new ConfigError('sandboxExpires', value, expectation));
  });
});
