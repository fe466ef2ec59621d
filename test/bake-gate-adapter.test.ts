import {
  CloudWatchClient,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  ApprovalAlreadyCompletedException,
  CodePipelineClient,
  GetPipelineStateCommand,
  InvalidApprovalTokenException,
  PipelineNotFoundException,
  PutApprovalResultCommand,
} from '@aws-sdk/client-codepipeline';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsGateAdapter } from '../lambdas/bake-gate/adapter';
import { describeError } from '../lambdas/shared/aws-errors';
import { gateSettings } from './bake-gate-fixtures';

const settings = gateSettings({
  devAlarmNames: ['Dev-Service-Health', 'Dev-Extra'],
  minimumRequests: 100,
  requestMetric: { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiId: 'abc123', Stage: '$default' } },
  prod: { account: '333333333333', region: 'us-west-2', readerRoleArn: 'arn:aws:iam::333333333333:role/Tollgate-AlarmReader' },
});

const codePipeline = mockClient(CodePipelineClient);
const cloudWatch = mockClient(CloudWatchClient);
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);

const T0 = new Date('2026-03-10T10:00:00Z');
const NOW = new Date('2026-03-10T11:00:00Z');

beforeAll(() => {
  process.env.AWS_REGION = 'us-east-1';
});

beforeEach(() => {
  codePipeline.reset();
  cloudWatch.reset();
  ssm.reset();
  sns.reset();
});

const adapter = () => new AwsGateAdapter({ settings, topicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate-bake' });

describe('readPipeline', () => {
  it('finds the pending bake approval with its token and start, and whether prod ever ran', async () => {
    codePipeline.on(GetPipelineStateCommand, { name: 'Tollgate' }).resolves({
      stageStates: [
        {
          stageName: 'Dev',
          latestExecution: { pipelineExecutionId: 'exec-1', status: 'InProgress' },
          actionStates: [{ actionName: 'Bake', latestExecution: { status: 'InProgress', token: 'tok', lastStatusChange: T0 } }],
        },
        { stageName: 'Prod', latestExecution: { pipelineExecutionId: 'exec-0', status: 'Failed' } },
      ],
    });
    expect(await adapter().readPipeline()).toEqual({
      approvals: [{ pipelineExecutionId: 'exec-1', token: 'tok', bakeStartedAt: T0 }],
      prodDeployed: true,
    });
  });

  it('reports no approval once decided, and a prod stage that never ran', async () => {
    codePipeline.on(GetPipelineStateCommand).resolves({
      stageStates: [
        {
          stageName: 'Dev',
          latestExecution: { pipelineExecutionId: 'exec-1', status: 'Failed' },
          actionStates: [{ actionName: 'Bake', latestExecution: { status: 'Failed', summary: 'rejected: ...' } }],
        },
        { stageName: 'Prod' },
      ],
    });
    expect(await adapter().readPipeline()).toEqual({ approvals: [], prodDeployed: false });
  });

  it('fails when the pipeline has no baked stage or the approval is malformed', async () => {
    codePipeline.on(GetPipelineStateCommand).resolvesOnce({ stageStates: [{ stageName: 'Prod' }] }).resolvesOnce({
      stageStates: [{ stageName: 'Dev', actionStates: [{ actionName: 'Bake', latestExecution: { status: 'InProgress' } }] }],
    });
    await expect(adapter().readPipeline()).rejects.toThrow('pipeline Tollgate has no stage Dev');
    await expect(adapter().readPipeline()).rejects.toThrow('the pending Dev/Bake approval has no token, start time or execution id');
  });

  it('says which call failed and why', async () => {
    codePipeline.on(GetPipelineStateCommand).rejects(new PipelineNotFoundException({ message: 'no pipeline Tollgate', $metadata: { httpStatusCode: 400, attempts: 1 } }));
    await expect(adapter().readPipeline()).rejects.toThrow('GetPipelineState Tollgate: PipelineNotFoundException: no pipeline Tollgate (HTTP 400, 1 attempt)');
  });
});

describe('readDevAlarms', () => {
  const history = (at: string, from: string, to: string, reason = 'r') => ({
    AlarmName: 'Dev-Service-Health',
    Timestamp: new Date(at),
    HistoryItemType: 'StateUpdate' as const,
    HistoryData: JSON.stringify({ version: '1.0', oldState: { stateValue: from, stateReason: 'x' }, newState: { stateValue: to, stateReason: reason } }),
  });

  it('asks for composite and metric alarms by name, and reads each one history since the bake started', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      CompositeAlarms: [{ AlarmName: 'Dev-Service-Health', StateValue: 'OK', StateReason: 'fine', StateUpdatedTimestamp: new Date('2026-03-10T10:43:00Z'), StateTransitionedTimestamp: new Date('2026-03-10T10:43:00Z') }],
      MetricAlarms: [],
    });
    cloudWatch
      .on(DescribeAlarmHistoryCommand, { AlarmName: 'Dev-Service-Health' })
      .resolvesOnce({ AlarmHistoryItems: [history('2026-03-10T10:42:07Z', 'OK', 'ALARM', '5xx')], NextToken: 'page2' })
      .resolvesOnce({ AlarmHistoryItems: [history('2026-03-10T10:43:00Z', 'ALARM', 'OK')] });

    const alarms = await adapter().readDevAlarms(T0, NOW);

    expect(cloudWatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ['Dev-Service-Health', 'Dev-Extra'],
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      MaxRecords: 100,
    });
    const historyCalls = cloudWatch.commandCalls(DescribeAlarmHistoryCommand);
    expect(historyCalls).toHaveLength(2);
    // (The SDK's paginator reuses one input object, so only the last call's NextToken can be checked.)
    expect(historyCalls[0].args[0].input).toMatchObject({
      AlarmName: 'Dev-Service-Health',
      AlarmTypes: ['CompositeAlarm', 'MetricAlarm'],
      HistoryItemType: 'StateUpdate',
      StartDate: T0,
      EndDate: NOW,
      MaxRecords: 100,
    });
    expect(historyCalls[1].args[0].input.NextToken).toBe('page2');
    // Dev-Extra does not exist: it is simply absent, and the core rejects for it.
    expect(alarms).toEqual([
      {
        name: 'Dev-Service-Health',
        state: 'OK',
        reason: 'fine',
        since: new Date('2026-03-10T10:43:00Z'),
        changes: [
          { at: new Date('2026-03-10T10:42:07Z'), from: 'OK', to: 'ALARM', reason: '5xx' },
          { at: new Date('2026-03-10T10:43:00Z'), from: 'ALARM', to: 'OK', reason: 'r' },
        ],
      },
    ]);
  });

  it('fails on a history it cannot read', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'Dev-Service-Health', StateValue: 'OK', StateUpdatedTimestamp: T0 }],
    });
    cloudWatch.on(DescribeAlarmHistoryCommand).resolves({
      AlarmHistoryItems: [{ Timestamp: new Date('2026-03-10T10:05:00Z'), HistoryData: 'not json' }],
    });
    await expect(adapter().readDevAlarms(T0, NOW)).rejects.toThrow(
      'DescribeAlarmHistory Dev-Service-Health in dev (222222222222): Error: unreadable history item at 2026-03-10T10:05:00.000Z: "not json"',
    );
  });

  it('fails on an alarm without a state', async () => {
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'Dev-Service-Health' }] });
    await expect(adapter().readDevAlarms(T0, NOW)).rejects.toThrow('alarm Dev-Service-Health has an unreadable state undefined or no state time');
  });
});

describe('readProdHealth', () => {
  it("reads prod's health alarm state only, and reports a missing one as undefined", async () => {
    cloudWatch
      .on(DescribeAlarmsCommand, { AlarmNames: ['Prod-Service-Health'] })
      .resolvesOnce({ CompositeAlarms: [{ AlarmName: 'Prod-Service-Health', StateValue: 'ALARM', StateReason: 'errors', StateUpdatedTimestamp: T0 }] })
      .resolvesOnce({ CompositeAlarms: [] });
    expect(await adapter().readProdHealth()).toEqual({ name: 'Prod-Service-Health', state: 'ALARM', reason: 'errors', since: T0, changes: [] });
    expect(await adapter().readProdHealth()).toBeUndefined();
    expect(cloudWatch.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(0);
  });
});

describe('readRequests', () => {
  it('sums the configured metric per minute from the bake start, across pages', async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', StatusCode: 'PartialData', Timestamps: [new Date('2026-03-10T10:00:00Z')], Values: [5] }], NextToken: 'more' })
      .resolvesOnce({ MetricDataResults: [{ Id: 'requests', StatusCode: 'Complete', Timestamps: [new Date('2026-03-10T10:01:00Z')], Values: [7] }] });
    const since = new Date('2026-03-10T10:00:30Z');
    expect(await adapter().readRequests(since, NOW)).toEqual([
      { at: new Date('2026-03-10T10:00:00Z'), value: 5 },
      { at: new Date('2026-03-10T10:01:00Z'), value: 7 },
    ]);
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input).toMatchObject({
      StartTime: new Date('2026-03-10T10:00:00Z'),
      EndTime: NOW,
      MetricDataQueries: [
        {
          Id: 'requests',
          MetricStat: {
            Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: 'abc123' }, { Name: 'Stage', Value: '$default' }] },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    });
  });

  it('reads five-minute periods for holds beyond the 15 days one-minute data is kept', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    await adapter().readRequests(new Date('2026-02-01T00:00:00Z'), NOW);
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[0].args[0].input.MetricDataQueries?.[0].MetricStat?.Period).toBe(300);
  });

  it('fails when CloudWatch answers the query with an error status', async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'requests', StatusCode: 'Forbidden', Messages: [{ Code: 'Forbidden', Value: 'not allowed' }] }],
    });
    await expect(adapter().readRequests(T0, NOW)).rejects.toThrow(
      'GetMetricData AWS/ApiGateway/Count{ApiId=abc123,Stage=$default} in dev (222222222222): Error: Forbidden: not allowed',
    );
  });
});

describe('readControls', () => {
  const halt = { halted: true, reason: 'incident', by: 'arn:aws:sts::111111111111:assumed-role/oncall/alice', at: '2026-03-10T10:30:00Z' };

  it('reads every control under the pipeline path and parses the halt flag', async () => {
    ssm
      .on(GetParametersByPathCommand)
      .resolvesOnce({ Parameters: [{ Name: '/tollgate/Tollgate/halt', Value: JSON.stringify(halt) }], NextToken: 'n' })
      .resolvesOnce({ Parameters: [{ Name: '/tollgate/Tollgate/freezes', Value: '[]' }] });
    const controls = await adapter().readControls();
    expect(controls.halt).toEqual(halt);
    expect([...controls.parameters.keys()]).toEqual(['/tollgate/Tollgate/halt', '/tollgate/Tollgate/freezes']);
    expect(ssm.commandCalls(GetParametersByPathCommand)[0].args[0].input).toMatchObject({ Path: '/tollgate/Tollgate', Recursive: true, WithDecryption: true });
  });

  it('reads no halt flag as not halted, and an unreadable one as a failure', async () => {
    ssm.on(GetParametersByPathCommand).resolvesOnce({ Parameters: [] }).resolvesOnce({ Parameters: [{ Name: '/tollgate/Tollgate/halt', Value: 'yes' }] });
    expect((await adapter().readControls()).halt).toBeUndefined();
    await expect(adapter().readControls()).rejects.toThrow('control parameter /tollgate/Tollgate/halt is unreadable');
  });
});

describe('putApprovalResult', () => {
  const approval = { pipelineExecutionId: 'exec-1', token: 'tok', bakeStartedAt: T0 };

  it('answers this pipeline’s Bake approval', async () => {
    codePipeline.on(PutApprovalResultCommand).resolves({ approvedAt: NOW });
    expect(await adapter().putApprovalResult(approval, 'Rejected', 'rejected: x')).toBe('recorded');
    expect(codePipeline.commandCalls(PutApprovalResultCommand)[0].args[0].input).toEqual({
      pipelineName: 'Tollgate',
      stageName: 'Dev',
      actionName: 'Bake',
      token: 'tok',
      result: { status: 'Rejected', summary: 'rejected: x' },
    });
  });

  it('treats an approval already decided, or a token no longer valid, as done', async () => {
    codePipeline
      .on(PutApprovalResultCommand)
      .rejectsOnce(new ApprovalAlreadyCompletedException({ message: 'already', $metadata: {} }))
      .rejectsOnce(new InvalidApprovalTokenException({ message: 'invalid token', $metadata: {} }));
    expect(await adapter().putApprovalResult(approval, 'Approved', 'approved')).toBe('already-decided');
    expect(await adapter().putApprovalResult(approval, 'Approved', 'approved')).toBe('already-decided');
  });

  it('fails on anything else', async () => {
    codePipeline.on(PutApprovalResultCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    await expect(adapter().putApprovalResult(approval, 'Approved', 'approved')).rejects.toThrow(
      'PutApprovalResult Approved for execution exec-1: AccessDeniedException: not allowed',
    );
  });
});

describe('publish', () => {
  it('publishes to the team topic with a subject SNS accepts', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await adapter().publish('s'.repeat(150), 'body');
    expect(sns.commandCalls(PublishCommand)[0].args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:111111111111:tollgate-bake',
      Subject: 's'.repeat(100),
      Message: 'body',
    });
  });
});

describe('describeError', () => {
  it('gives name, message, HTTP status and attempts', () => {
    const err = Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: { httpStatusCode: 400, attempts: 5 } });
    expect(describeError(err)).toBe('Throttling: Rate exceeded (HTTP 400, 5 attempts)');
    expect(describeError('plain')).toBe('Error: plain');
  });
});
