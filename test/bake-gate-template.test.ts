import * as cdk from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as codepipelineActions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { BakeGate, BakeGateProps } from '../cdk/pipeline/bake-gate';
import { RELEASE_CALENDAR_ENV } from '../lambdas/bake-gate/release-window';
import { parseGateSettings } from '../lambdas/bake-gate/settings';
import { DEFAULT_CALENDAR_SETTINGS, parseCalendarSettings } from '../lambdas/shared/release-calendar';
import { synthesizeTollgate } from './fixture';
import { awsSolutionsFindings } from './nag';

const synthesized = synthesizeTollgate();
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
    expect(stages().map((s) => s.Name)).toEqual(['Source', 'Build', 'UpdatePipeline', 'Assets', 'Dev', 'Prod']);
    const dev = stages().find((s) => s.Name === 'Dev')!;
    expect(dev.Actions.map((a: Json) => [a.Name, a.RunOrder])).toEqual([
      ['Prepare', 1],
      ['Deploy', 2],
      ['Bake', 3],
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

describe('the gate function', () => {
  test('runs on Node.js with the settings from configuration', () => {
    pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: Match.stringLikeRegexp('^nodejs(22|24)\\.x$'),
      Timeout: 60,
      Environment: { Variables: { BAKE_GATE_TOPIC_ARN: { Ref: Match.stringLikeRegexp('BakeGateTopic') } } },
    });
    expect(gateSettings()).toEqual({
      pipelineName: expect.stringMatching(/^<ReleasePipeline/),
      bakeStageName: 'Dev',
      bakeActionName: 'Bake',
      prodStageName: 'Prod',
      bakeMinutes: 60,
      evidenceGraceMinutes: 60,
      lateStartMinutes: 50,
      devAlarmNames: ['Dev-Service-Health'],
      prodHealthAlarmName: 'Prod-Service-Health',
      minimumRequests: undefined,
      requestMetric: undefined,
      dev: { account: '222222222222', region: 'us-east-1', readerRoleArn: 'arn:aws:iam::222222222222:role/Tollgate-AlarmReader' },
      prod: { account: '333333333333', region: 'us-east-1', readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader' },
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

  test('is invoked when the Bake approval of this pipeline starts', () => {
    const rule = flat(resources(pipeline, 'AWS::Events::Rule').find((r) => r.EventPattern?.source?.[0] === 'aws.codepipeline'));
    expect(rule.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Action Execution State Change'],
      resources: [expect.stringMatching(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>$/)],
      detail: { pipeline: [expect.stringMatching(/^<ReleasePipeline/)], stage: ['Dev'], action: ['Bake'], state: ['STARTED'] },
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

  test('its role may do only what the gate does, on this pipeline only', () => {
    const statements = gateRoleStatements();
    const byAction = Object.fromEntries(statements.map((s) => [[s.Action].flat().join(','), s.Resource]));
    expect(Object.keys(byAction).sort()).toEqual(
      [
        'codepipeline:GetPipelineState',
        'codepipeline:PutApprovalResult',
        'kms:Decrypt,kms:GenerateDataKey*',
        'logs:CreateLogStream,logs:PutLogEvents',
        'sns:Publish',
        'ssm:GetParametersByPath',
        'sts:AssumeRole',
      ].sort(),
    );
    expect(byAction['codepipeline:GetPipelineState']).toMatch(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>$/);
    expect(byAction['codepipeline:PutApprovalResult']).toMatch(/^arn:aws:codepipeline:us-east-1:111111111111:<ReleasePipeline\w+>\/Dev\/Bake$/);
    expect([...byAction['sts:AssumeRole']].sort()).toEqual([
      'arn:aws:iam::222222222222:role/Tollgate-AlarmReader',
      'arn:aws:iam::333333333333:role/Tollgate-AlarmReader',
    ]);
    expect([...byAction['ssm:GetParametersByPath']].sort()).toEqual([
      expect.stringMatching(/^arn:aws:ssm:us-east-1:111111111111:parameter\/tollgate\/<ReleasePipeline\w+>$/),
      expect.stringMatching(/^arn:aws:ssm:us-east-1:111111111111:parameter\/tollgate\/<ReleasePipeline\w+>\/\*$/),
    ]);
    expect(byAction['sns:Publish']).toMatch(/^<BakeGateTopic/);
    for (const s of statements) expect(s.Resource).not.toEqual('*');
  });

  test('has a fixed role name, so the reader roles can trust it before it exists', () => {
    pipeline.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'Tollgate-BakeGate',
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })] },
    });
  });
});

describe('the notifications topic', () => {
  test('is KMS-encrypted, publishable by CloudWatch alarms, and refuses anything but TLS', () => {
    pipeline.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('BakeGateTopicKey'), 'Arn'] } });
    pipeline.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    pipeline.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      },
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
    const berlin = { timezone: 'Europe/Berlin', weekdays: [1, 2, 3, 4, 5], holidays: { country: 'DE', region: 'BE' } };
    const configured = synthesizeTollgate({ tollgate: { calendar: berlin } });
    expect(JSON.parse(calendarOf(configured.pipeline))).toEqual({ ...DEFAULT_CALENDAR_SETTINGS, ...berlin });
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
  test('the reader role trusts only the gate role, and only reads alarms and metrics', () => {
    const roles = flat(resources(template(), 'AWS::IAM::Role').filter((r) => r.RoleName === 'Tollgate-AlarmReader'));
    expect(roles).toHaveLength(1);
    expect(roles[0].AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { AWS: 'arn:aws:iam::111111111111:root' },
        Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111111111111:role/Tollgate-BakeGate' } },
      },
    ]);
    expect(roles[0].ManagedPolicyArns).toBeUndefined();
    expect(roles[0].Policies).toEqual([
      {
        PolicyName: 'ReadAlarms',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: expect.any(Array), Resource: '*' }],
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

describe('configured: a 12-hour bake, an extra alarm, a minimum of requests, dev in the deployment account', () => {
  const metric = { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'a1b2c3', Stage: '$default' } };
  const configured = synthesizeTollgate({
    tollgate: {
      dev: { account: '111111111111', region: 'us-east-1' },
      sandbox: { account: '444444444444', region: 'us-east-1' },
      bake: { minutes: 720, extraAlarmNames: ['Dev-Queue-Depth'], minimumRequests: { count: 500, metric }, maxHoldDays: 7, prodDeployMinutes: 15, prodBakeMinutes: 45 },
    },
  });

  test('the approval holds 12 hours plus 7 days, and the gate gets every setting', () => {
    expect(bakeAction(configured.pipeline).TimeoutInMinutes).toBe(720 + 7 * 1440);
    expect(gateSettings(configured.pipeline)).toMatchObject({
      bakeMinutes: 720,
      lateStartMinutes: 60,
      devAlarmNames: ['Dev-Service-Health', 'Dev-Queue-Depth'],
      minimumRequests: 500,
      requestMetric: metric,
      dev: { account: '111111111111', readerRoleArn: 'arn:aws:iam::111111111111:role/Tollgate-AlarmReader' },
    });
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
    const stack = new cdk.Stack(new cdk.App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', { pipelineType: codepipeline.PipelineType.V2 });
    pipeline.addStage({
      stageName: 'Dev',
      actions: [new codepipelineActions.ManualApprovalAction({ actionName: 'Stand-in' })],
    });
    return () =>
      new BakeGate(stack, 'Gate', {
        pipeline,
        bakedStageName: 'Dev',
        promotionStageName: 'Prod',
        bakeTime: cdk.Duration.hours(1),
        watched: { account: '222222222222', region: 'us-east-1', alarmNames: ['A'] },
        promotionTarget: { account: '333333333333', region: 'us-east-1', healthAlarmName: 'B' },
        readerRoleName: 'Reader',
        gateRoleName: 'Gate',
        ...props,
      });
  }

  test('refuses a bake and hold longer than the 60-day approval limit', () => {
    expect(gateIn({ bakeTime: cdk.Duration.days(50), maxHold: cdk.Duration.days(11) })).toThrow(
      'BakeGate: bakeTime (72000 min) plus maxHold (15840 min) exceeds the 60-day approval limit',
    );
  });

  test('without a calendar the gate gets none: every time is a release window', () => {
    const environment = (gate: BakeGate) => cdk.Stack.of(gate).resolve((gate.function.node.defaultChild as lambda.CfnFunction).environment).variables;
    expect(Object.keys(environment(gateIn()()))).toEqual(['BAKE_GATE_SETTINGS', 'BAKE_GATE_TOPIC_ARN']);
    expect(Object.keys(environment(gateIn({ releaseCalendar: DEFAULT_CALENDAR_SETTINGS })()))).toContain(RELEASE_CALENDAR_ENV);
  });

  test('refuses a pipeline without the baked stage, or no alarm to watch', () => {
    expect(gateIn({ bakedStageName: 'Staging' })).toThrow('BakeGate: the pipeline has no stage Staging');
    expect(gateIn({ watched: { account: '222222222222', region: 'us-east-1', alarmNames: [] } })).toThrow(
      'BakeGate: watched.alarmNames needs at least one alarm',
    );
  });
});
