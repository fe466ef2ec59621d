/**
 * The bake gate's AWS calls, and nothing else: the pipeline's state and approval results in the deployment
 * account, alarms and metrics in dev and prod through their read-only roles, the run-time controls in SSM,
 * and the team's SNS topic. Every failure comes out as one line that says which call failed, where and why.
 */
import {
  AlarmType,
  CloudWatchClient,
  CloudWatchClientConfig,
  CompositeAlarm,
  DescribeAlarmsCommandOutput,
  HistoryItemType,
  MetricAlarm,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms,
  paginateGetMetricData,
  ScanBy,
} from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient, GetPipelineStateCommand, PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { paginateGetParametersByPath, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describedCall, describeError } from '../shared/aws-errors';
import { controlsHierarchy, type Halt, haltParameterName, parseHalt } from '../shared/pipeline-controls';
import { type AlarmReading, type Datapoint, isAlarmState, type PendingApproval, type StateChange } from './core';
import type { GateSettings, RequestMetric, WatchedAccount } from './settings';

/** What the pipeline looks like to the gate. */
export interface PipelineView {
  readonly approvals: PendingApproval[];
  /** Whether the prod stage has ever run, i.e. whether prod (and its reader role) can exist. */
  readonly prodDeployed: boolean;
}

/** The run-time controls: the halt flag parsed, and every parameter under the pipeline's path for the calendar. */
export interface PipelineControls {
  readonly halt: Halt | undefined;
  readonly parameters: ReadonlyMap<string, string>;
}

export type ApprovalOutcome = 'recorded' | 'already-decided';

/** The gate's view of AWS; the handler depends on this, tests substitute it. */
export interface GatePort {
  readPipeline(): Promise<PipelineView>;
  readDevAlarms(since: Date, now: Date): Promise<AlarmReading[]>;
  readProdHealth(): Promise<AlarmReading | undefined>;
  readRequests(since: Date, now: Date): Promise<Datapoint[]>;
  readControls(): Promise<PipelineControls>;
  putApprovalResult(approval: PendingApproval, status: 'Approved' | 'Rejected', summary: string): Promise<ApprovalOutcome>;
  publish(subject: string, message: string): Promise<void>;
}

export interface AwsGateAdapterOptions {
  readonly settings: GateSettings;
  /** Where rejections are announced. */
  readonly topicArn: string;
  /**
   * Attempts per call, the first included; throttling and 5xx are retried with the SDK's backoff.
   *
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * How long one HTTP request may take before it counts as failed (and is retried).
   *
   * @default 5000
   */
  readonly requestTimeoutMs?: number;
}

/** CodePipeline's answers to a result for an approval that is no longer waiting: nothing left to do. */
const ALREADY_DECIDED = new Set(['ApprovalAlreadyCompletedException', 'InvalidApprovalTokenException']);
/** Both kinds, or CloudWatch returns metric alarms only. */
const ALARM_TYPES = [AlarmType.CompositeAlarm, AlarmType.MetricAlarm];
const FIFTEEN_DAYS = 15 * 24 * 3600_000;

export class AwsGateAdapter implements GatePort {
  private readonly settings: GateSettings;
  private readonly topicArn: string;
  private readonly codePipeline: CodePipelineClient;
  private readonly ssm: SSMClient;
  private readonly sns: SNSClient;
  private readonly devCloudWatch: CloudWatchClient;
  private readonly prodCloudWatch: CloudWatchClient;

  constructor(options: AwsGateAdapterOptions) {
    this.settings = options.settings;
    this.topicArn = options.topicArn;
    const common = {
      maxAttempts: options.maxAttempts ?? 5,
      retryMode: 'standard',
      // Without throwOnRequestTimeout the SDK only warns, and a hung request would hang the gate.
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? 5000,
        connectionTimeout: options.requestTimeoutMs ?? 5000,
        throwOnRequestTimeout: true,
      },
    };
    this.codePipeline = new CodePipelineClient(common);
    this.ssm = new SSMClient(common);
    this.sns = new SNSClient(common);
    const sts = new STSClient(common);
    // One client per target account lives as long as the function instance; the SDK caches the assumed
    // role's credentials and assumes again shortly before they expire.
    const reader = (target: WatchedAccount) =>
      new CloudWatchClient({ ...common, region: target.region, credentials: assumeRole(sts, target.readerRoleArn) });
    this.devCloudWatch = reader(this.settings.dev);
    this.prodCloudWatch = reader(this.settings.prod);
  }

  async readPipeline(): Promise<PipelineView> {
    const { pipelineName, bakeStageName, bakeActionName, prodStageName } = this.settings;
    const state = await describedCall(`GetPipelineState ${pipelineName}`, () =>
      this.codePipeline.send(new GetPipelineStateCommand({ name: pipelineName })),
    );
    const stages = state.stageStates ?? [];
    const bake = stages.find((s) => s.stageName === bakeStageName);
    if (!bake) throw new Error(`pipeline ${pipelineName} has no stage ${bakeStageName}`);
    const approvals: PendingApproval[] = [];
    for (const action of bake.actionStates ?? []) {
      const run = action.latestExecution;
      if (action.actionName !== bakeActionName || run?.status !== 'InProgress') continue;
      const pipelineExecutionId = bake.latestExecution?.pipelineExecutionId;
      if (!run.token || !run.lastStatusChange || !pipelineExecutionId) {
        throw new Error(`GetPipelineState ${pipelineName}: the pending ${bakeStageName}/${bakeActionName} approval has no token, start time or execution id`);
      }
      approvals.push({ pipelineExecutionId, token: run.token, bakeStartedAt: run.lastStatusChange });
    }
    return { approvals, prodDeployed: stages.some((s) => s.stageName === prodStageName && s.latestExecution !== undefined) };
  }

  async readDevAlarms(since: Date, now: Date): Promise<AlarmReading[]> {
    const current = await this.describeAlarms(this.devCloudWatch, 'dev', this.settings.devAlarmNames);
    return Promise.all(current.map(async (alarm) => ({ ...alarm, changes: await this.history(alarm.name, since, now) })));
  }

  async readProdHealth(): Promise<AlarmReading | undefined> {
    const [alarm] = await this.describeAlarms(this.prodCloudWatch, 'prod', [this.settings.prodHealthAlarmName]);
    return alarm && { ...alarm, changes: [] };
  }

  async readRequests(since: Date, now: Date): Promise<Datapoint[]> {
    const metric = this.settings.requestMetric;
    if (!metric) throw new Error('no request metric configured');
    // One-minute data is kept 15 days, five-minute data 63 days: longer holds read coarser periods.
    const period = now.getTime() - since.getTime() <= FIFTEEN_DAYS ? 60 : 300;
    const startTime = new Date(Math.floor(since.getTime() / (period * 1000)) * period * 1000);
    const where = `GetMetricData ${describeMetric(metric)} in dev (${this.settings.dev.account})`;
    const points: Datapoint[] = [];
    await describedCall(where, async () => {
      const pages = paginateGetMetricData(
        { client: this.devCloudWatch },
        {
          StartTime: startTime,
          EndTime: now,
          ScanBy: ScanBy.TIMESTAMP_ASCENDING,
          MetricDataQueries: [
            {
              Id: 'requests',
              ReturnData: true,
              MetricStat: {
                Metric: {
                  Namespace: metric.namespace,
                  MetricName: metric.metricName,
                  Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: period,
                Stat: 'Sum',
              },
            },
          ],
        },
      );
      for await (const page of pages) {
        for (const result of page.MetricDataResults ?? []) {
          if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
            throw new Error(`${result.StatusCode}: ${(result.Messages ?? []).map((m) => m.Value).join(' ')}`);
          }
          const values = result.Values ?? [];
          (result.Timestamps ?? []).forEach((at, i) => points.push({ at, value: values[i] ?? 0 }));
        }
      }
    });
    return points;
  }

  async readControls(): Promise<PipelineControls> {
    const path = controlsHierarchy(this.settings.pipelineName);
    const parameters = new Map<string, string>();
    await describedCall(`GetParametersByPath ${path}`, async () => {
      for await (const page of paginateGetParametersByPath({ client: this.ssm }, { Path: path, Recursive: true, WithDecryption: true })) {
        for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) parameters.set(p.Name, p.Value);
      }
    });
    const haltName = haltParameterName(this.settings.pipelineName);
    const raw = parameters.get(haltName);
    return { halt: raw === undefined ? undefined : parseHalt(haltName, raw), parameters };
  }

  async putApprovalResult(approval: PendingApproval, status: 'Approved' | 'Rejected', summary: string): Promise<ApprovalOutcome> {
    const { pipelineName, bakeStageName, bakeActionName } = this.settings;
    try {
      await this.codePipeline.send(
        new PutApprovalResultCommand({
          pipelineName,
          stageName: bakeStageName,
          actionName: bakeActionName,
          token: approval.token,
          result: { status, summary },
        }),
      );
      return 'recorded';
    } catch (err) {
      if (ALREADY_DECIDED.has((err as Error).name)) return 'already-decided';
      throw new Error(`PutApprovalResult ${status} for execution ${approval.pipelineExecutionId}: ${describeError(err)}`);
    }
  }

  async publish(subject: string, message: string): Promise<void> {
    await describedCall(`Publish to ${this.topicArn}`, () =>
      // SNS subjects are at most 100 characters.
      this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Subject: subject.slice(0, 100), Message: message })),
    );
  }

  private async describeAlarms(client: CloudWatchClient, where: 'dev' | 'prod', names: readonly string[]): Promise<Omit<AlarmReading, 'changes'>[]> {
    const account = this.settings[where].account;
    const found: Omit<AlarmReading, 'changes'>[] = [];
    await describedCall(`DescribeAlarms in ${where} (${account})`, async () => {
      const pages = paginateDescribeAlarms({ client, pageSize: 100 }, { AlarmNames: [...names], AlarmTypes: ALARM_TYPES });
      for await (const page of pages as AsyncIterable<DescribeAlarmsCommandOutput>) {
        for (const alarm of [...(page.CompositeAlarms ?? []), ...(page.MetricAlarms ?? [])]) found.push(reading(alarm));
      }
    });
    return found;
  }

  private async history(alarmName: string, since: Date, now: Date): Promise<StateChange[]> {
    const where = `DescribeAlarmHistory ${alarmName} in dev (${this.settings.dev.account})`;
    const changes: StateChange[] = [];
    await describedCall(where, async () => {
      const pages = paginateDescribeAlarmHistory(
        { client: this.devCloudWatch, pageSize: 100 },
        { AlarmName: alarmName, AlarmTypes: ALARM_TYPES, HistoryItemType: HistoryItemType.StateUpdate, StartDate: since, EndDate: now },
      );
      for await (const page of pages) {
        for (const item of page.AlarmHistoryItems ?? []) changes.push(stateChange(item.Timestamp, item.HistoryData));
      }
    });
    return changes;
  }
}

/** Credentials of the role, assumed on demand; the SDK client memoizes them until shortly before expiry. */
function assumeRole(sts: STSClient, roleArn: string): NonNullable<CloudWatchClientConfig['credentials']> {
  return async () => {
    const { Credentials: c } = await describedCall(`AssumeRole ${roleArn}`, () =>
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'tollgate-bake-gate', DurationSeconds: 3600 })),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn}: the answer carried no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
}

function reading(alarm: MetricAlarm | CompositeAlarm): Omit<AlarmReading, 'changes'> {
  const name = alarm.AlarmName ?? '(unnamed)';
  const since = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  if (!isAlarmState(alarm.StateValue) || !since) {
    throw new Error(`alarm ${name} has an unreadable state ${JSON.stringify(alarm.StateValue)} or no state time`);
  }
  return { name, state: alarm.StateValue, reason: alarm.StateReason ?? '', since };
}

/** One StateUpdate history item; its HistoryData is JSON with oldState and newState. */
function stateChange(at: Date | undefined, data: string | undefined): StateChange {
  let parsed: { oldState?: { stateValue?: unknown }; newState?: { stateValue?: unknown; stateReason?: unknown } } | undefined;
  try {
    parsed = JSON.parse(data ?? '');
  } catch {
    parsed = undefined;
  }
  const from = parsed?.oldState?.stateValue;
  const to = parsed?.newState?.stateValue;
  if (!at || !isAlarmState(from) || !isAlarmState(to)) {
    throw new Error(`unreadable history item at ${at?.toISOString() ?? '(no time)'}: ${JSON.stringify((data ?? '').slice(0, 120))}`);
  }
  return { at, from, to, reason: String(parsed?.newState?.stateReason ?? '') };
}

function describeMetric(metric: RequestMetric): string {
  const dims = Object.entries(metric.dimensions).map(([k, v]) => `${k}=${v}`);
  return `${metric.namespace}/${metric.metricName}${dims.length ? `{${dims.join(',')}}` : ''}`;
}
