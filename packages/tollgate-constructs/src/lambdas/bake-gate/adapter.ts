/**
 * The bake gate's AWS calls, and nothing else: the pipeline's state, action history and approval results in
 * the deployment account; alarms, alarm history, evidence metrics and the service stack in each watched
 * environment through its read-only role; the run-time controls in SSM; the gate's own state in DynamoDB; the
 * team's SNS topic. Every failure comes out as one line that says which call failed, where and why.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AlarmType,
  CloudWatchClient,
  CompositeAlarm,
  DescribeAlarmsCommandOutput,
  HistoryItemType,
  MetricAlarm,
  MetricDataQuery,
  paginateDescribeAlarmHistory,
  paginateDescribeAlarms,
  paginateGetMetricData,
  ScanBy,
} from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient, GetPipelineStateCommand, paginateListActionExecutions, PutApprovalResultCommand } from '@aws-sdk/client-codepipeline';
import { AttributeValue, DeleteItemCommand, DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { paginateDescribeParameters, paginateGetParametersByPath, type ParameterMetadata, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { describedCall, describeError } from '../../domain/aws-errors';
import { controlsHierarchy, type Halt } from '../../domain/pipeline-controls';
import { type ControlParameter, judgeControls } from './controls';
import {
  type ActionRun,
  type AlarmReading,
  type ConfigurationChange,
  type Datapoint,
  type DecidedApproval,
  type EnvironmentReading,
  isAlarmState,
  type PendingApproval,
  type StageView,
  type StateChange,
} from './core';
import { type Announcement, type FailureUpdate, type GateState, HEALTH_KEYS } from './gate-state';
import type { GateEnvironment, GateSettings, MetricId } from './settings';

/** What the pipeline looks like to the gate. */
export interface PipelineView {
  /** Every approval the gate owns that is waiting. */
  readonly approvals: PendingApproval[];
  /** The gate-owned approvals last decided, with who decided them. */
  readonly decided: DecidedApproval[];
  /** The pipeline's stages, by name. */
  readonly stages: ReadonlyMap<string, StageView>;
}

/**
 * The run-time controls as the gate acts on them (see `controls.ts`): the halt flag parsed and judged (one
 * cleared outside the operator role still halts), the trusted freezes and overrides for the calendar with the
 * judgement of each untrusted one, and who last wrote each parameter.
 */
export interface PipelineControls {
  readonly halt: Halt | undefined;
  readonly parameters: ReadonlyMap<string, string>;
  /** Each control parameter's last modifier (SSM's `LastModifiedUser`), by name. */
  readonly modifiedBy?: ReadonlyMap<string, string>;
}

/**
 * How much of an environment to read: its alarms' state only (the health of an environment promoted to), or
 * everything a bake needs (history, configuration changes, evidence, its stack).
 */
export type ReadDepth = 'health' | 'bake';

export type ApprovalOutcome = 'recorded' | 'already-decided';

/** The environment's read-only role could not be assumed: before its first deployment, it does not exist. */
export class ReaderRoleUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReaderRoleUnavailable';
  }
}

/** The gate's view of AWS; the handler depends on this, tests substitute it. */
export interface GatePort {
  readPipeline(): Promise<PipelineView>;
  readEnvironment(environmentName: string, depth: ReadDepth, since: Date, now: Date): Promise<EnvironmentReading>;
  readActionRuns(pipelineExecutionId: string): Promise<ActionRun[]>;
  readControls(): Promise<PipelineControls>;
  readState(): Promise<GateState>;
  /** Records reads that started failing and forgets those that read again. */
  recordFailures(update: FailureUpdate): Promise<void>;
  /** Owes an announcement; false when it is owed (or was made) already. */
  owe(announcement: Announcement): Promise<boolean>;
  /** The announcement was made. */
  paid(announcementId: string): Promise<void>;
  /** Puts why an approval is still waiting where `tollgate status` reads it; no approval: forgets it. */
  recordWaiting(approval: PendingApproval, waiting?: { readonly summary: string; readonly at: Date }): Promise<void>;
  /** Remembers an announcement the pipeline's state will keep prompting (kept 90 days). */
  remember(id: string): Promise<void>;
  /** Records the gate's own health for `tollgate status`: a completed check, or a failure. */
  recordHealth(event: { readonly lastCheckAt: Date } | { readonly lastError: { readonly at: Date; readonly message: string } }): Promise<void>;
  putApprovalResult(approval: PendingApproval, status: 'Approved' | 'Rejected', summary: string): Promise<ApprovalOutcome>;
  publish(subject: string, message: string): Promise<void>;
}

export interface AwsGateAdapterOptions {
  readonly settings: GateSettings;
  /** Where rejections are announced. */
  readonly topicArn: string;
  /** The gate's state table (partition key `pk`, sort key `sk`, strings). */
  readonly stateTableName: string;
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
/** Both kinds, or CloudWatch returns metric alarms only (DescribeAlarms and DescribeAlarmHistory API references). */
const ALARM_TYPES = [AlarmType.CompositeAlarm, AlarmType.MetricAlarm];
const FIFTEEN_DAYS = 15 * 24 * 3600_000;
/** The gate's records live in one partition, so one Query reads them all. */
const STATE_PARTITION = HEALTH_KEYS.partition;
const FAILURE = 'failure#';
const OWED = 'owed#';
const REMEMBERED = 'seen#';
const WAITING = HEALTH_KEYS.waitingPrefix;
const REMEMBER_SECONDS = 90 * 86_400;

/** The clients of one watched environment, signed with its reader role's credentials. */
interface EnvironmentClients {
  readonly settings: GateEnvironment;
  readonly cloudWatch: CloudWatchClient;
  readonly cloudFormation: CloudFormationClient;
  readonly credentials: () => Promise<unknown>;
}

export class AwsGateAdapter implements GatePort {
  private readonly settings: GateSettings;
  private readonly topicArn: string;
  private readonly stateTableName: string;
  private readonly codePipeline: CodePipelineClient;
  private readonly ssm: SSMClient;
  private readonly sns: SNSClient;
  private readonly dynamodb: DynamoDBClient;
  private readonly environments: Map<string, EnvironmentClients>;

  constructor(options: AwsGateAdapterOptions) {
    this.settings = options.settings;
    this.topicArn = options.topicArn;
    this.stateTableName = options.stateTableName;
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
    this.dynamodb = new DynamoDBClient(common);
    const sts = new STSClient(common);
    // One set of clients per environment lives as long as the function instance; the SDK caches the assumed
    // role's credentials and assumes again shortly before they expire.
    this.environments = new Map(
      this.settings.environments.map((env) => {
        const credentials = memoized(assumeRole(sts, env.readerRoleArn));
        const config = { ...common, region: env.region, credentials };
        return [env.name, { settings: env, credentials, cloudWatch: new CloudWatchClient(config), cloudFormation: new CloudFormationClient(config) }];
      }),
    );
  }

  async readPipeline(): Promise<PipelineView> {
    const { pipelineName } = this.settings;
    const owned = [...this.settings.bakes, ...this.settings.entryChecks];
    const state = await describedCall(`GetPipelineState ${pipelineName}`, () =>
      this.codePipeline.send(new GetPipelineStateCommand({ name: pipelineName })),
    );
    const stageStates = state.stageStates ?? [];
    const approvals: PendingApproval[] = [];
    const decided: DecidedApproval[] = [];
    for (const bake of owned) {
      const stage = stageStates.find((s) => s.stageName === bake.stageName);
      if (!stage) throw new Error(`pipeline ${pipelineName} has no stage ${bake.stageName}`);
      for (const action of stage.actionStates ?? []) {
        const run = action.latestExecution;
        if (action.actionName !== bake.actionName || !run) continue;
        if (run.status !== 'InProgress') {
          decided.push({
            pipelineExecutionId: stage.latestExecution?.pipelineExecutionId,
            stageName: bake.stageName,
            actionName: bake.actionName,
            actionExecutionId: run.actionExecutionId,
            status: run.status ?? '',
            updatedBy: run.lastUpdatedBy,
            at: run.lastStatusChange,
          });
          continue;
        }
        const pipelineExecutionId = stage.latestExecution?.pipelineExecutionId;
        if (!run.token || !run.lastStatusChange || !pipelineExecutionId) {
          throw new Error(`GetPipelineState ${pipelineName}: the pending ${bake.stageName}/${bake.actionName} approval has no token, start time or execution id`);
        }
        approvals.push({ pipelineExecutionId, token: run.token, stageName: bake.stageName, actionName: bake.actionName, bakeStartedAt: run.lastStatusChange });
      }
    }
    const stages = new Map(
      stageStates.map((s): [string, StageView] => [
        s.stageName ?? '',
        {
          latestExecutionId: s.latestExecution?.pipelineExecutionId,
          actionChanges: (s.actionStates ?? []).map((a) => ({ actionName: a.actionName ?? '', at: a.latestExecution?.lastStatusChange })),
        },
      ]),
    );
    return { approvals, decided, stages };
  }

  async readActionRuns(pipelineExecutionId: string): Promise<ActionRun[]> {
    const { pipelineName } = this.settings;
    const runs: ActionRun[] = [];
    await describedCall(`ListActionExecutions ${pipelineName} ${pipelineExecutionId}`, async () => {
      const pages = paginateListActionExecutions({ client: this.codePipeline }, { pipelineName, filter: { pipelineExecutionId } });
      for await (const page of pages) {
        for (const d of page.actionExecutionDetails ?? []) {
          runs.push({ stageName: d.stageName ?? '', actionName: d.actionName ?? '', startedAt: d.startTime, lastUpdatedAt: d.lastUpdateTime });
        }
      }
    });
    return runs;
  }

  async readEnvironment(environmentName: string, depth: ReadDepth, since: Date, now: Date): Promise<EnvironmentReading> {
    const env = this.environments.get(environmentName);
    if (!env) throw new Error(`no environment ${environmentName} in the gate settings`);
    await this.assume(env);
    const current = await this.describeAlarms(env);
    if (depth === 'health') return { alarms: current.map((a) => ({ ...a.reading, changes: [] })), configurationChanges: [] };
    const watched = env.settings.alarmNames;
    const children = current.flatMap((a) => a.children);
    const [changes, configurationChanges, metrics, stack] = await Promise.all([
      Promise.all(current.map((a) => this.stateHistory(env, a.reading.name, since, now))),
      this.configurationHistory(env, new Set([...watched, ...children]), since, now),
      this.evidence(env, since, now),
      this.stack(env),
    ]);
    return {
      alarms: current.map((a, i) => ({ ...a.reading, changes: changes[i] })),
      configurationChanges,
      ...metrics,
      ...(stack === undefined ? {} : { stack }),
    };
  }

  /**
   * Reads every control parameter (GetParametersByPath), then who last wrote each (DescribeParameters with a
   * recursive Path filter: GetParametersByPath does not return LastModifiedUser; SSM API reference,
   * ParameterMetadata), and judges them (`judgeControls`): a control that loosens counts only when the
   * operator role wrote it. Read in this order, a parameter rewritten in between shows a newer version in
   * DescribeParameters than the value read, and is not trusted.
   */
  async readControls(): Promise<PipelineControls> {
    const { pipelineName, operatorRoleName } = this.settings;
    const path = controlsHierarchy(pipelineName);
    const read = new Map<string, { value: string; version?: number }>();
    await describedCall(`GetParametersByPath ${path}`, async () => {
      for await (const page of paginateGetParametersByPath({ client: this.ssm }, { Path: path, Recursive: true, WithDecryption: true })) {
        for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) read.set(p.Name, { value: p.Value, version: p.Version });
      }
    });
    const metadata = new Map<string, ParameterMetadata>();
    if (read.size > 0) {
      await describedCall(`DescribeParameters ${path}`, async () => {
        const filter = { Key: 'Path', Option: 'Recursive', Values: [path] };
        for await (const page of paginateDescribeParameters({ client: this.ssm }, { ParameterFilters: [filter] })) {
          for (const p of page.Parameters ?? []) if (p.Name) metadata.set(p.Name, p);
        }
      });
    }
    const parameters: ControlParameter[] = [...read].map(([name, { value, version }]) => {
      const m = metadata.get(name);
      return {
        name,
        value,
        version,
        metadata: m && { arn: m.ARN, modifiedBy: m.LastModifiedUser, modifiedAt: m.LastModifiedDate, version: m.Version },
      };
    });
    return judgeControls(parameters, { pipelineName, operatorRoleName });
  }

  async readState(): Promise<GateState> {
    const failingSince = new Map<string, Date>();
    const outbox: Announcement[] = [];
    const remembered = new Set<string>();
    await describedCall(`Query ${this.stateTableName}`, async () => {
      let ExclusiveStartKey: Record<string, never> | undefined;
      do {
        const page = await this.dynamodb.send(
          new QueryCommand({
            TableName: this.stateTableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: STATE_PARTITION } },
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const sk = item.sk?.S ?? '';
          if (sk.startsWith(FAILURE)) failingSince.set(sk.slice(FAILURE.length), new Date(item.since?.S ?? NaN));
          else if (sk.startsWith(OWED)) outbox.push({ id: sk.slice(OWED.length), subject: item.subject?.S ?? '', message: item.message?.S ?? '' });
          else if (sk.startsWith(REMEMBERED)) remembered.add(sk.slice(REMEMBERED.length));
        }
        ExclusiveStartKey = page.LastEvaluatedKey as Record<string, never> | undefined;
      } while (ExclusiveStartKey);
    });
    for (const [source, since] of failingSince) if (Number.isNaN(since.getTime())) failingSince.delete(source);
    return { failingSince, outbox, remembered };
  }

  async recordFailures(update: FailureUpdate): Promise<void> {
    await describedCall(`recording read failures in ${this.stateTableName}`, async () => {
      for (const source of update.started) {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.stateTableName,
            Item: { pk: { S: STATE_PARTITION }, sk: { S: FAILURE + source }, since: { S: update.failingSince.get(source)!.toISOString() } },
          }),
        );
      }
      for (const source of update.recovered) {
        await this.dynamodb.send(new DeleteItemCommand({ TableName: this.stateTableName, Key: { pk: { S: STATE_PARTITION }, sk: { S: FAILURE + source } } }));
      }
    });
  }

  async owe(announcement: Announcement): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.stateTableName,
          Item: {
            pk: { S: STATE_PARTITION },
            sk: { S: OWED + announcement.id },
            subject: { S: announcement.subject },
            message: { S: announcement.message },
          },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw new Error(`PutItem ${this.stateTableName} ${announcement.id}: ${describeError(err)}`);
    }
  }

  async paid(announcementId: string): Promise<void> {
    await describedCall(`DeleteItem ${this.stateTableName} ${announcementId}`, () =>
      this.dynamodb.send(new DeleteItemCommand({ TableName: this.stateTableName, Key: { pk: { S: STATE_PARTITION }, sk: { S: OWED + announcementId } } })),
    );
  }

  async recordWaiting(approval: PendingApproval, waiting?: { readonly summary: string; readonly at: Date }): Promise<void> {
    const key = { pk: { S: STATE_PARTITION }, sk: { S: `${WAITING}${approval.pipelineExecutionId}/${approval.stageName}/${approval.actionName}` } };
    await describedCall(`recording why ${approval.pipelineExecutionId} waits in ${this.stateTableName}`, () =>
      waiting
        ? this.dynamodb.send(
            new PutItemCommand({
              TableName: this.stateTableName,
              // Gone on its own two days after the last check that wrote it.
              Item: { ...key, summary: { S: waiting.summary }, at: { S: waiting.at.toISOString() }, expiresAt: { N: String(Math.floor(waiting.at.getTime() / 1000) + 2 * 86_400) } },
            }),
          )
        : this.dynamodb.send(new DeleteItemCommand({ TableName: this.stateTableName, Key: key })),
    );
  }

  async remember(id: string): Promise<void> {
    const expiresAt = Math.floor(Date.now() / 1000) + REMEMBER_SECONDS;
    await describedCall(`PutItem ${this.stateTableName} ${REMEMBERED}${id}`, () =>
      this.dynamodb.send(
        new PutItemCommand({
          TableName: this.stateTableName,
          // expiresAt is the table's time-to-live attribute: DynamoDB deletes the item after it.
          Item: { pk: { S: STATE_PARTITION }, sk: { S: REMEMBERED + id }, expiresAt: { N: String(expiresAt) } },
        }),
      ),
    );
  }

  async recordHealth(event: { readonly lastCheckAt: Date } | { readonly lastError: { readonly at: Date; readonly message: string } }): Promise<void> {
    const item: Record<string, AttributeValue> =
      'lastCheckAt' in event
        ? { sk: { S: HEALTH_KEYS.lastCheck }, at: { S: event.lastCheckAt.toISOString() } }
        : { sk: { S: HEALTH_KEYS.lastError }, at: { S: event.lastError.at.toISOString() }, message: { S: event.lastError.message.slice(0, 1000) } };
    await describedCall(`PutItem ${this.stateTableName} ${item.sk.S ?? ''}`, () =>
      this.dynamodb.send(new PutItemCommand({ TableName: this.stateTableName, Item: { pk: { S: STATE_PARTITION }, ...item } })),
    );
  }

  async putApprovalResult(approval: PendingApproval, status: 'Approved' | 'Rejected', summary: string): Promise<ApprovalOutcome> {
    try {
      await this.codePipeline.send(
        new PutApprovalResultCommand({
          pipelineName: this.settings.pipelineName,
          stageName: approval.stageName,
          actionName: approval.actionName,
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

  /** Assumes the reader role first, so that a role that does not exist is told apart from a failed read. */
  private async assume(env: EnvironmentClients): Promise<void> {
    try {
      await env.credentials();
    } catch (err) {
      const text = `${describeError(err)}`;
      if (/AccessDenied/.test(text)) throw new ReaderRoleUnavailable(text);
      throw err;
    }
  }

  private where(env: EnvironmentClients): string {
    return `${env.settings.name} (${env.settings.account})`;
  }

  private async describeAlarms(env: EnvironmentClients): Promise<{ reading: Omit<AlarmReading, 'changes'>; children: string[] }[]> {
    const found: { reading: Omit<AlarmReading, 'changes'>; children: string[] }[] = [];
    await describedCall(`DescribeAlarms in ${this.where(env)}`, async () => {
      const pages = paginateDescribeAlarms({ client: env.cloudWatch, pageSize: 100 }, { AlarmNames: [...env.settings.alarmNames], AlarmTypes: ALARM_TYPES });
      for await (const page of pages as AsyncIterable<DescribeAlarmsCommandOutput>) {
        for (const alarm of page.CompositeAlarms ?? []) found.push({ reading: reading(alarm), children: childAlarmNames(alarm.AlarmRule ?? '') });
        for (const alarm of page.MetricAlarms ?? []) found.push({ reading: reading(alarm), children: [] });
      }
    });
    return found;
  }

  private async stateHistory(env: EnvironmentClients, alarmName: string, since: Date, now: Date): Promise<StateChange[]> {
    const changes: StateChange[] = [];
    await describedCall(`DescribeAlarmHistory ${alarmName} in ${this.where(env)}`, async () => {
      const pages = paginateDescribeAlarmHistory(
        { client: env.cloudWatch, pageSize: 100 },
        { AlarmName: alarmName, AlarmTypes: ALARM_TYPES, HistoryItemType: HistoryItemType.StateUpdate, StartDate: since, EndDate: now },
      );
      for await (const page of pages) {
        for (const item of page.AlarmHistoryItems ?? []) changes.push(stateChange(item.Timestamp, item.HistoryData));
      }
    });
    return changes;
  }

  /**
   * Alarms created, updated or deleted since `since`, among `names`. One account-wide call: without an alarm
   * name DescribeAlarmHistory returns every alarm's items (API reference), and configuration changes are rare,
   * so this also covers the children of a composite alarm, however many.
   */
  private async configurationHistory(env: EnvironmentClients, names: ReadonlySet<string>, since: Date, now: Date): Promise<ConfigurationChange[]> {
    const changes: ConfigurationChange[] = [];
    await describedCall(`DescribeAlarmHistory (configuration updates) in ${this.where(env)}`, async () => {
      const pages = paginateDescribeAlarmHistory(
        { client: env.cloudWatch, pageSize: 100 },
        { AlarmTypes: ALARM_TYPES, HistoryItemType: HistoryItemType.ConfigurationUpdate, StartDate: since, EndDate: now },
      );
      for await (const page of pages) {
        for (const item of page.AlarmHistoryItems ?? []) {
          if (!item.AlarmName || !names.has(item.AlarmName) || !item.Timestamp) continue;
          changes.push({ at: item.Timestamp, alarmName: item.AlarmName, summary: item.HistorySummary ?? 'configuration updated' });
        }
      }
    });
    return changes;
  }

  /** Synthetic check runs (sample counts) and requests (sums), one query each, in one GetMetricData call. */
  private async evidence(env: EnvironmentClients, since: Date, now: Date): Promise<Pick<EnvironmentReading, 'syntheticRuns' | 'requests'>> {
    const { syntheticChecks, requests } = env.settings.evidence;
    const queries: [string, MetricId, string][] = [];
    if (syntheticChecks) queries.push(['syntheticRuns', syntheticChecks.metric, 'SampleCount']);
    if (requests) queries.push(['requests', requests.metric, 'Sum']);
    if (queries.length === 0) return {};
    // One-minute data is kept 15 days, five-minute data 63 days: longer holds read coarser periods.
    const period = now.getTime() - since.getTime() <= FIFTEEN_DAYS ? 60 : 300;
    const startTime = new Date(Math.floor(since.getTime() / (period * 1000)) * period * 1000);
    const points = new Map<string, Datapoint[]>(queries.map(([id]) => [id, []]));
    const metricQueries: MetricDataQuery[] = queries.map(([Id, metric, Stat]) => ({
      Id,
      ReturnData: true,
      MetricStat: {
        Metric: { Namespace: metric.namespace, MetricName: metric.metricName, Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })) },
        Period: period,
        Stat,
      },
    }));
    await describedCall(`GetMetricData ${queries.map(([, m]) => describeMetric(m)).join(', ')} in ${this.where(env)}`, async () => {
      const pages = paginateGetMetricData(
        { client: env.cloudWatch },
        { StartTime: startTime, EndTime: now, ScanBy: ScanBy.TIMESTAMP_ASCENDING, MetricDataQueries: metricQueries },
      );
      for await (const page of pages) {
        for (const result of page.MetricDataResults ?? []) {
          if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
            throw new Error(`${result.StatusCode}: ${(result.Messages ?? []).map((m) => m.Value).join(' ')}`);
          }
          const values = result.Values ?? [];
          const into = points.get(result.Id ?? '');
          (result.Timestamps ?? []).forEach((at, i) => into?.push({ at, value: values[i] ?? 0 }));
        }
      }
    });
    return Object.fromEntries(points);
  }

  /** The service stack's last update, or `'missing'`; undefined when no stack is watched. */
  private async stack(env: EnvironmentClients): Promise<EnvironmentReading['stack']> {
    const stackName = env.settings.stackName;
    if (!stackName) return undefined;
    try {
      const { Stacks } = await env.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      const stack = Stacks?.[0];
      if (!stack) return 'missing';
      return { name: stackName, lastUpdatedAt: stack.LastUpdatedTime ?? stack.CreationTime };
    } catch (err) {
      // DescribeStacks answers ValidationError "Stack with id X does not exist" for a stack that is not there.
      if ((err as Error).name === 'ValidationError' && /does not exist/.test((err as Error).message)) return 'missing';
      throw new Error(`DescribeStacks ${stackName} in ${this.where(env)}: ${describeError(err)}`);
    }
  }
}

/** Credentials of the role, assumed on demand; the SDK client memoizes them until shortly before expiry. */
function assumeRole(sts: STSClient, roleArn: string): () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }> {
  return async () => {
    const { Credentials: c } = await describedCall(`AssumeRole ${roleArn}`, () =>
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'tollgate-bake-gate', DurationSeconds: 3600 })),
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error(`AssumeRole ${roleArn}: the answer carried no credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };
}

/** One set of credentials shared by an environment's clients until five minutes before it expires. */
function memoized<T extends { expiration?: Date }>(provider: () => Promise<T>): () => Promise<T> {
  let cached: T | undefined;
  return async () => {
    if (!cached || (cached.expiration && cached.expiration.getTime() - Date.now() < 300_000)) cached = await provider();
    return cached;
  };
}

/** The names of the alarms a composite alarm's rule reads: `ALARM("name")`, `OK(arn:...:alarm:name)`, ... */
export function childAlarmNames(rule: string): string[] {
  const names = [...rule.matchAll(/\b(?:ALARM|OK|INSUFFICIENT_DATA)\(\s*"?([^")]+?)"?\s*\)/g)].map((m) => m[1].replace(/^arn:[^:]+:cloudwatch:[^:]*:\d*:alarm:/, ''));
  return [...new Set(names)];
}

function reading(alarm: MetricAlarm | CompositeAlarm): Omit<AlarmReading, 'changes'> {
  const name = alarm.AlarmName ?? '(unnamed)';
  const since = alarm.StateTransitionedTimestamp ?? alarm.StateUpdatedTimestamp;
  if (!isAlarmState(alarm.StateValue) || !since) {
    throw new Error(`alarm ${name} has an unreadable state ${JSON.stringify(alarm.StateValue)} or no state time`);
  }
  return { name, state: alarm.StateValue, reason: alarm.StateReason ?? '', since, actionsEnabled: alarm.ActionsEnabled !== false };
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

function describeMetric(metric: MetricId): string {
  const dims = Object.entries(metric.dimensions).map(([k, v]) => `${k}=${v}`);
  return `${metric.namespace}/${metric.metricName}${dims.length ? `{${dims.join(',')}}` : ''}`;
}
