import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipelineActions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BakeGate, BakeGateProps } from '@tollgate/constructs';
import { RELEASE_CALENDAR_ENV } from '@tollgate/constructs/lib/lambdas/bake-gate/release-window';
import { parseGateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { DEFAULT_CALENDAR_SETTINGS, parseCalendarSettings } from '@tollgate/constructs/lib/domain/release-calendar';
import { CONFIGURED_CALENDAR, CONFIGURED_REQUESTS_METRIC, configuredTollgate, sharedTollgate } from '../fixture';
import { awsSolutionsFindings } from '../nag';

const synthesized = sharedTollgate();
const pipeline = synthesized.pipeline;

type Json = Record<string, any>;

function resources(template: Template, type: string): Json[] {
  return Object.values(template.findResources(type)).map((r) => r.Properties);
}

function stages(template = pipeline): Json[] {
  const [p] = resources(template, 'AWS::CodePipeline::Pipeline');
  return p.Stages;
}

/** A CloudFormation value with its references replaced by `<Ref>`, `Fn::Join`s joined: what a human reads. */
function flat(value: unknown): any {
  if (Array.isArray(value)) return value.map(flat);
  if (value && typeof value === 'object') {
    const v = value as Json;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(flat).join(v['Fn::Join'][0]);
    if ('Ref' in v) return v.Ref === 'AWS::Partition' ? 'aws' : `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${v['Fn::GetAtt'].join('.')}>`;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]));
  }
  return value;
}

function gateRoleStatements(template = pipeline): Json[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { RoleName: 'Tollgate-BakeGate' } });
  const [roleId] = Object.keys(roles);
  const policies = resources(template, 'AWS::IAM::Policy').filter((p) => p.Roles.some((r: Json) => r.Ref === roleId));
  return flat(policies.flatMap((p) => p.PolicyDocument.Statement));
}

function gateSettings(template = pipeline) {
  const [fn] = resources(template, 'AWS::Lambda::Function').filter((f) => f.Environment?.Variables?.BAKE_GATE_SETTINGS);
  return parseGateSettings(flat(fn.Environment.Variables.BAKE_GATE_SETTINGS));
}

/** The bake approval: the last action of the Dev stage. */
function bakeAction(template = pipeline) {
  const dev = stages(template).find((s) => s.Name === 'Dev')!;
  return dev.Actions.find((a: Json) => a.Name === 'Bake');
}

describe('the bake', () => {
  test('sits between the dev deployment and Prod, held by one manual approval', () => {
    expect(stages().map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Sandbox', 'Dev', 'Prod']);
    const dev = stages().find((s) => s.Name === 'Dev')!;
    expect(dev.Actions.map((a: Json) => [a.Name, a.RunOrder])).toEqual([
      ['Prepare', 1],
      // The replacement guard judges the change set Prepare created before Deploy executes it.
      ['ReplacementGuard-Dev-Service', 2],
      ['Deploy', 3],
      ['Bake', 4],
    ]);
    expect(bakeAction()).toMatchObject({
      ActionTypeId: { Category: 'Approval', Owner: 'AWS', Provider: 'Manual' },
      Configuration: { CustomData: expect.stringContaining('Approving by hand skips the bake') },
    });
  });

  test('the approval outlasts the bake plus the longest hold: 60 min + 14 days, never an hour', () => {
    expect(bakeAction().TimeoutInMinutes).toBe(60 + 14 * 1440);
  });
});

describe('the prod bake', () => {
  const prod = () => stages().find((s) => s.Name === 'Prod')!;

  test('opens the Prod stage with the gate-owned entry check beside Prepare, and ends it with the prod bake', () => {
    expect(prod().Actions.map((a: Json) => [a.Name, a.RunOrder])).toEqual([
      ['Prepare', 1],
      ['ReplacementGuard-Prod-Service', 2],
      ['Deploy', 3],
      ['ProdBake', 4],
      // Beside Prepare, which only creates a change set: Deploy waits for both, so nothing deploys unchecked.
      ['EntryCheck', 1],
    ]);
    expect(prod().Actions.find((a: Json) => a.Name === 'EntryCheck')).toMatchObject({
      ActionTypeId: { Category: 'Approval', Owner: 'AWS', Provider: 'Manual' },
      TimeoutInMinutes: 14 * 1440,
      Configuration: { CustomData: expect.stringContaining('checks dev stayed clean and prod may receive the build') },
    });
    expect(gateSettings().entryChecks).toEqual([
      {
        stageName: 'Prod',
        actionName: 'EntryCheck',
        upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
        promotion: { stageName: 'Prod', environments: ['prod'], lateStartMinutes: 53 },
      },
    ]);
    const approval = prod().Actions.find((a: Json) => a.Name === 'ProdBake');
    expect(approval).toMatchObject({
      ActionTypeId: { Category: 'Approval', Owner: 'AWS', Provider: 'Manual' },
      // 30 min of prod bake plus an hour of hold (halt): the gate decides long before.
      TimeoutInMinutes: 30 + 60,
      Configuration: { CustomData: expect.stringContaining('Owned by the bake gate') },
    });
  });

  test('a rejected prod bake fails the stage, which rolls back; no alarm rule with a recovery grace is left', () => {
    expect(prod().OnFailure).toEqual({ Result: 'ROLLBACK' });
    expect(prod().OnSuccess).toBeUndefined();
    expect(prod().BeforeEntry).toBeUndefined();
  });

  test('the prod bake watches prod, counts dev alarms while dev still runs the build, and needs evidence', () => {
    expect(gateSettings().bakes[1]).toEqual({
      stageName: 'Prod',
      actionName: 'ProdBake',
      environments: ['prod'],
      minutes: 30,
      evidenceGraceMinutes: 60,
      allowNoTraffic: false,
      upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
    });
  });
});

describe('the gate function', () => {
  test('runs on Node.js with the settings from configuration', () => {
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs(22|24)\\.x$'),
      Timeout: 60,
      Environment: { Variables: { BAKE_GATE_TOPIC_ARN: { Ref: Match.stringLikeRegexp('BakeGateTopic') } } },
    });
    const evidence = (canary: string) => ({
      syntheticChecks: { metric: { namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensions: { CanaryName: canary } }, minimumCoveragePercent: 90 },
    });
    expect(gateSettings()).toEqual({
      pipelineName: expect.stringMatching(/^<ReleasePipeline/),
      gateRoleName: 'Tollgate-BakeGate',
      operatorRoleName: 'Tollgate-Operator',
      entryChecks: [expect.objectContaining({ stageName: 'Prod', actionName: 'EntryCheck' })],
      environments: [
        {
          name: 'dev',
          account: '222222222222',
          region: 'us-east-1',
          readerRoleArn: 'arn:aws:iam::222222222222:role/Tollgate-AlarmReader',
          alarmNames: ['Dev-Service-Health'],
          stackName: 'Dev-Service',
          evidence: evidence('dev-service-checks'),
        },
        {
          name: 'prod',
          account: '333333333333',
          region: 'us-east-1',
          readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader',
          alarmNames: ['Prod-Service-Health'],
          stackName: 'Prod-Service',
          evidence: evidence('prod-service-checks'),
        },
      ],
      bakes: [
        {
          stageName: 'Dev',
          actionName: 'Bake',
          environments: ['dev'],
          minutes: 60,
          evidenceGraceMinutes: 60,
          allowNoTraffic: false,
          // Prod deploy 20 + prod bake 30 + alarm latency 3.
          promotion: { stageName: 'Prod', environments: ['prod'], lateStartMinutes: 53 },
        },
        expect.objectContaining({ stageName: 'Prod', actionName: 'ProdBake' }),
      ],
      alarmLatencyMinutes: 3,
      readFailureToleranceMinutes: 5,
    });
  });

  test('is invoked by watched alarm state changes from dev and prod', () => {
    pipeline.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        account: ['222222222222', '333333333333'],
        detail: { alarmName: ['Dev-Service-Health', 'Prod-Service-Health'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BakeGateFunction'), 'Arn'] } })],
    });
  });

  test("counts evidence from the canary each stage actually deploys: no name copied by hand", () => {
    const stagesOf = [synthesized.pipelineStack.devStage, synthesized.pipelineStack.prodStage];
    gateSettings().environments.forEach((env, i) => {
      const canaryName = stagesOf[i].service.syntheticChecks!.canaryName;
      expect(env.evidence.syntheticChecks?.metric.dimensions).toEqual({ CanaryName: canaryName });
      Template.fromStack(stagesOf[i].service).hasResourceProperties('AWS::Synthetics::Canary', {
        Name: canaryName,
        Schedule: Match.objectLike({ Expression: 'rate(1 minute)' }),
      });
    });
  });

  test('requires evidence by default', () => {
    expect(gateSettings().bakes.map((b) => b.allowNoTraffic)).toEqual([false, false]);
  });

  test('is invoked when a bake approval of this pipeline starts', () => {
    const rule = flat(resources(pipeline, 'AWS::Events::Rule').find((r) => r.EventPattern?.source?.[0] === 'aws.codepipeline' && r.EventPattern?.detail?.state?.[0] === 'STARTED'));
    expect(rule.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change'],
      resources: [expect.stringMatching(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>$/)],
      detail: { pipeline: [expect.stringMatching(/^<ReleasePipeline/)], stage: ['Dev', 'Prod'], action: ['Bake', 'ProdBake', 'EntryCheck'], state: ['STARTED'] },
    });
  });

  test('reconciles every minute', () => {
    pipeline.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BakeGateFunction'), 'Arn'] } })],
    });
  });

  test('retries failed invocations twice and announces its own failure on the topic', () => {
    pipeline.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 });
    pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('BakeGateTopic') }],
    });
  });

  test('a dead, stalled or stuck gate pages: heartbeat, stuck-approval and dead-letter alarms on the topic', () => {
    const alarms = flat(resources(pipeline, 'AWS::CloudWatch::Alarm'));
    const named = (metricName: string) => alarms.find((a: Json) => a.MetricName === metricName);
    expect(named('Checks')).toMatchObject({
      Namespace: 'Tollgate/BakeGate',
      Dimensions: expect.arrayContaining([{ Name: 'Pipeline', Value: expect.stringMatching(/^<ReleasePipeline/) }]),
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
      AlarmActions: [expect.stringMatching(/^<BakeGateTopic/)],
    });
    expect(named('OldestPendingApprovalMinutes')).toMatchObject({
      Statistic: 'Maximum',
      // The dev bake: 60 min + 60 min of evidence grace + 14 days of hold.
      Threshold: 60 + 60 + 14 * 1440,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [expect.stringMatching(/^<BakeGateTopic/)],
    });
    expect(named('ApproximateNumberOfMessagesVisible')).toMatchObject({
      Namespace: 'AWS/SQS',
      Threshold: 0,
      AlarmActions: [expect.stringMatching(/^<BakeGateTopic/)],
    });
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { BAKE_GATE_STATE_TABLE: Match.anyValue() } },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('BakeGateDeadLetters'), 'Arn'] } },
    });
  });

  test('its role may do only what the gate does, on this pipeline only', () => {
    const statements = gateRoleStatements();
    const byAction = Object.fromEntries(statements.map((s) => [[s.Action].flat().sort().join(','), s.Resource]));
    expect(Object.keys(byAction).sort()).toEqual(
      [
        'codepipeline:GetPipelineState,codepipeline:ListActionExecutions',
        'codepipeline:PutApprovalResult',
        'dynamodb:DeleteItem,dynamodb:PutItem,dynamodb:Query',
        'kms:Decrypt,kms:GenerateDataKey*',
        'logs:CreateLogStream,logs:PutLogEvents',
        'sns:Publish',
        'sqs:SendMessage',
        'ssm:DescribeParameters',
        'ssm:GetParametersByPath',
        'sts:AssumeRole',
      ].sort(),
    );
    expect(byAction['codepipeline:GetPipelineState,codepipeline:ListActionExecutions']).toMatch(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>$/);
    expect(byAction['codepipeline:PutApprovalResult']).toEqual([
      expect.stringMatching(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>\/Dev\/Bake$/),
      expect.stringMatching(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>\/Prod\/EntryCheck$/),
      expect.stringMatching(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>\/Prod\/ProdBake$/),
    ]);
    expect(byAction['dynamodb:DeleteItem,dynamodb:PutItem,dynamodb:Query']).toMatch(/^<BakeGateState\w+\.Arn>$/);
    expect([...byAction['sts:AssumeRole']].sort()).toEqual([
      'arn:aws:iam::222222222222:role/Tollgate-AlarmReader',
      'arn:aws:iam::333333333333:role/Tollgate-AlarmReader',
    ]);
    expect([...byAction['ssm:GetParametersByPath']].sort()).toEqual([
      expect.stringMatching(/^arn:aws:ssm:us-east-1:111111111111:parameter\/tollgate\/<ReleasePipeline\w+>$/),
      expect.stringMatching(/^arn:aws:ssm:us-east-1:111111111111:parameter\/tollgate\/<ReleasePipeline\w+>\/\*$/),
    ]);
    expect(byAction['sns:Publish']).toMatch(/^<BakeGateTopic/);
    expect(byAction['sqs:SendMessage']).toMatch(/^<BakeGateDeadLetters\w+\.Arn>$/);
    // DescribeParameters (who last wrote each control) supports no resource-level permissions; nothing else is on *.
    expect(byAction['ssm:DescribeParameters']).toBe('*');
    for (const s of statements.filter((st) => st.Action !== 'ssm:DescribeParameters')) expect(s.Resource).not.toEqual('*');
  });

  test('has a fixed role name, so the reader roles can trust it before it exists', () => {
    pipeline.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Tollgate-BakeGate',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
    });
  });
});

describe('the notifications topic', () => {
  // Only this account's alarms: CloudWatch publishes on their behalf (aws:SourceAccount, aws:SourceArn).
  const fromThisAccountsAlarms = {
    StringEquals: { 'aws:SourceAccount': '111111111111' },
    ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:*' },
  };

  test('is KMS-encrypted, and its key lets CloudWatch alarms of this account publish', () => {
    pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('BakeGateTopicKey'), 'Arn'] } });
    const [key] = flat(resources(pipeline, 'AWS::KMS::Key').filter((k) => JSON.stringify(k).includes('cloudwatch.amazonaws.com')));
    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: fromThisAccountsAlarms,
    });
  });

  test('its policy lets CloudWatch alarms of this account publish, and refuses anything but TLS', () => {
    const [policy] = flat(resources(pipeline, 'AWS::SNS::TopicPolicy'));
    expect(policy.PolicyDocument.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        {
          Sid: 'CloudWatchAlarmsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Resource: expect.stringMatching(/^<BakeGateTopic/),
          Condition: fromThisAccountsAlarms,
        },
      ]),
    );
  });

  test('the gate failure alarm publishes to the topic those policies open', () => {
    pipeline.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^BakeGateTopic') }],
    });
  });
});

describe('the release calendar', () => {
  const calendarOf = (template: Template) => {
    const [fn] = resources(template, 'AWS::Lambda::Function').filter((f) => f.Environment?.Variables?.BAKE_GATE_SETTINGS);
    return fn.Environment.Variables[RELEASE_CALENDAR_ENV];
  };

  test('the gate gets the configured calendar (the defaults unless configured) as JSON it validates', () => {
    expect(parseCalendarSettings(JSON.parse(calendarOf(pipeline)))).toEqual(DEFAULT_CALENDAR_SETTINGS);
    expect(JSON.parse(calendarOf(configuredTollgate().pipeline))).toEqual({ ...DEFAULT_CALENDAR_SETTINGS, ...CONFIGURED_CALENDAR });
  });

  test('the topic has the fixed name the break-glass command announces on', () => {
    pipeline.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'Tollgate-release-events' });
  });
});

describe('the cross-account event bus policy', () => {
  test('lets dev and prod put only alarm state changes on the default bus', () => {
    const policies = flat(resources(pipeline, 'AWS::Events::EventBusPolicy'));
    expect(policies).toHaveLength(2);
    for (const [i, account] of ['222222222222', '333333333333'].entries()) {
      expect(policies[i]).toEqual({
        EventBusName: 'default',
        StatementId: expect.stringMatching(new RegExp(`^[A-Za-z0-9-_]{1,51}-${account}$`)),
        Statement: {
          Sid: policies[i].StatementId,
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'events:PutEvents',
          Resource: 'arn:aws:events:us-east-1:111111111111:event-bus/default',
          Condition: { StringEquals: { 'events:source': 'aws.cloudwatch', 'events:detail-type': 'CloudWatch Alarm State Change' } },
        },
      });
    }
  });
});

describe.each([
  ['dev', () => synthesized.dev, 'Dev-Service-Health'],
  ['prod', () => synthesized.prod, 'Prod-Service-Health'],
])('in %s', (_name, template, healthAlarm) => {
  test('the reader role trusts only the gate role and the operator role (for status), and only reads alarms, metrics and its own stack', () => {
    const roles = flat(resources(template(), 'AWS::IAM::Role').filter((r) => r.RoleName === 'Tollgate-AlarmReader'));
    expect(roles).toHaveLength(1);
    expect(roles[0].AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Condition: { ArnEquals: { 'aws:PrincipalArn': ['arn:aws:iam::111111111111:role/Tollgate-BakeGate', 'arn:aws:iam::111111111111:role/Tollgate-Operator'] } },
      },
    ]);
    expect(roles[0].ManagedPolicyArns).toBeUndefined();
    expect(roles[0].Policies).toEqual([
      {
        PolicyName: 'ReadAlarms',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: expect.any(Array), Resource: '*' },
            {
              Effect: 'Allow',
              Action: 'cloudformation:DescribeStacks',
              Resource: expect.stringMatching(new RegExp(`^arn:aws:cloudformation:us-east-1:\\d{12}:stack/${_name === 'dev' ? 'Dev' : 'Prod'}-Service/\\*$`)),
            },
          ],
        },
      },
    ]);
    expect([...roles[0].Policies[0].PolicyDocument.Statement[0].Action].sort()).toEqual([
      'cloudwatch:DescribeAlarmHistory',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:GetMetricData',
    ]);
    // Nothing else in the stack grants the reader role anything.
    const readerId = Object.keys(template().findResources('AWS::IAM::Role', { Properties: { RoleName: 'Tollgate-AlarmReader' } }))[0];
    expect(resources(template(), 'AWS::IAM::Policy').filter((p) => p.Roles.some((r: Json) => r.Ref === readerId))).toEqual([]);
  });

  test('state changes of the health alarm go to the deployment account default bus', () => {
    const rule = flat(resources(template(), 'AWS::Events::Rule').find((r) => r.EventPattern?.source?.[0] === 'aws.cloudwatch'));
    expect(rule.EventPattern).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: [expect.stringMatching(/^<Health/)] },
    });
    expect(rule.Targets).toEqual([
      { Id: 'Target0', Arn: 'arn:aws:events:us-east-1:111111111111:event-bus/default', RoleArn: expect.stringMatching(/^<GateAlarmEventsRuleEventsRole/) },
    ]);
    template().hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: healthAlarm });
  });

  test('passes cdk-nag AwsSolutions', () => {
    const stack = _name === 'dev' ? synthesized.pipelineStack.devStage.service : synthesized.pipelineStack.prodStage.service;
    expect(awsSolutionsFindings(stack)).toEqual([]);
  });
});

test('a sandbox gets no reader role and forwards nothing', () => {
  expect(resources(synthesized.sandboxTemplate, 'AWS::IAM::Role').filter((r) => r.RoleName === 'Tollgate-AlarmReader')).toEqual([]);
  expect(resources(synthesized.sandboxTemplate, 'AWS::Events::Rule')).toEqual([]);
});

test('the pipeline stack with the gate passes cdk-nag AwsSolutions', () => {
  expect(awsSolutionsFindings(synthesized.pipelineStack)).toEqual([]);
});

describe('configured: a 12-hour bake, a 45-minute prod bake, an extra alarm, a minimum of requests, no evidence required, dev in the deployment account', () => {
  const metric = CONFIGURED_REQUESTS_METRIC;
  const configured = configuredTollgate();

  test('the approval holds 12 hours plus 7 days, and the gate gets every setting', () => {
    expect(bakeAction(configured.pipeline).TimeoutInMinutes).toBe(720 + 7 * 1440);
    const settings = gateSettings(configured.pipeline);
    expect(settings.bakes[0]).toMatchObject({ minutes: 720, promotion: { lateStartMinutes: 15 + 45 + 3 } });
    expect(settings.environments[0]).toMatchObject({
      alarmNames: ['Dev-Service-Health', 'Dev-Queue-Depth'],
      account: '111111111111',
      readerRoleArn: 'arn:aws:iam::111111111111:role/Tollgate-AlarmReader',
      evidence: { requests: { metric, minimum: 500 } },
    });
  });

  test('the prod bake lasts bake.prodBakeMinutes', () => {
    const approval = stages(configured.pipeline).find((s) => s.Name === 'Prod')!.Actions.find((a: Json) => a.Name === 'ProdBake');
    expect(approval.TimeoutInMinutes).toBe(45 + 60);
    expect(gateSettings(configured.pipeline).bakes[1].minutes).toBe(45);
  });

  test('allowNoTraffic is an explicit opt-out that reaches both bakes', () => {
    expect(gateSettings(configured.pipeline).bakes.map((b) => b.allowNoTraffic)).toEqual([true, true]);
  });

  test('dev forwards nothing and needs no bus policy: its alarm events are on the pipeline bus already', () => {
    expect(resources(configured.dev, 'AWS::Events::Rule')).toEqual([]);
    const policies = flat(resources(configured.pipeline, 'AWS::Events::EventBusPolicy'));
    expect(policies.map((p: Json) => p.Statement.Principal.AWS)).toEqual(['arn:aws:iam::333333333333:root']);
  });

  test('the gate listens for the extra alarm too', () => {
    configured.pipeline.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { alarmName: ['Dev-Service-Health', 'Dev-Queue-Depth', 'Prod-Service-Health'] } }),
    });
  });
});

describe('BakeGate', () => {
  function gateIn(props: Partial<BakeGateProps> = {}) {
    const stack = new cdk.Stack(new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', { pipelineType: codepipeline.PipelineType.V2 });
    for (const stageName of ['Dev', 'Prod']) {
      pipeline.addStage({ stageName, actions: [new codepipelineActions.ManualApprovalAction({ actionName: 'Stand-in' })] });
    }
    const metric = { namespace: 'N', metricName: 'M', dimensions: {} };
    return () =>
      new BakeGate(stack, 'Gate', {
        pipeline,
        environments: [
          { name: 'dev', account: '222222222222', region: 'us-east-1', alarmNames: ['A'], syntheticChecks: { metric } },
          { name: 'prod', account: '333333333333', region: 'us-east-1', alarmNames: ['B'] },
        ],
        bakes: [{ stageName: 'Dev', environments: ['dev'], bakeTime: cdk.Duration.hours(1), promotion: { stageName: 'Prod', environments: ['prod'] } }],
        readerRoleName: 'Reader',
        gateRoleName: 'Gate',
        ...props,
      });
  }

  test('refuses a bake and hold longer than the 60-day approval limit', () => {
    expect(gateIn({ bakes: [{ stageName: 'Dev', environments: ['dev'], bakeTime: cdk.Duration.days(50), maxHold: cdk.Duration.days(11) }] })).toThrow(
      'BakeGate: bake Dev (72000 min) plus its hold (15840 min) exceeds the 60-day approval limit',
    );
  });

  test('without a calendar the gate gets none: every time is a release window', () => {
    const environment = (gate: BakeGate) => cdk.Stack.of(gate).resolve((gate.function.node.defaultChild as lambda.CfnFunction).environment).variables;
    expect(Object.keys(environment(gateIn()()))).toEqual(['BAKE_GATE_SETTINGS', 'BAKE_GATE_TOPIC_ARN', 'BAKE_GATE_STATE_TABLE']);
    expect(Object.keys(environment(gateIn({ releaseCalendar: DEFAULT_CALENDAR_SETTINGS })()))).toContain(RELEASE_CALENDAR_ENV);
  });

  test('refuses a missing stage, an unknown environment, no alarm to watch, and evidence it cannot read', () => {
    expect(gateIn({ bakes: [{ stageName: 'Staging', environments: ['dev'], bakeTime: cdk.Duration.hours(1) }] })).toThrow('BakeGate: the pipeline has no stage Staging');
    expect(gateIn({ bakes: [{ stageName: 'Dev', environments: ['qa'], bakeTime: cdk.Duration.hours(1) }] })).toThrow('BakeGate: bake Dev names unknown environment qa');
    expect(gateIn({ environments: [{ name: 'dev', account: '222222222222', region: 'us-east-1', alarmNames: [] }] })).toThrow(
      'BakeGate: environment dev needs at least one alarm',
    );
    // Prod has no evidence metric: its bake must opt out explicitly.
    const prodBake = { stageName: 'Prod', environments: ['prod'], bakeTime: cdk.Duration.minutes(30) };
    expect(gateIn({ bakes: [prodBake] })).toThrow('BakeGate: bake Prod requires evidence, but environment prod has no synthetic checks or request metric');
    expect(gateIn({ bakes: [{ ...prodBake, allowNoTraffic: true }] })).not.toThrow();
  });
});
