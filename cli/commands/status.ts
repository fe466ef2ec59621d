import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { AttributeValue, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { RELEASE_RECORD_KEY, releaseRecordTableName } from '@tollgate/constructs/lib/domain/release-record';
import { GetPipelineStateOutput, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { TollgateConfig } from '../../cdk/config';
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { type GateHealth, HEALTH_KEYS } from '@tollgate/constructs/lib/lambdas/bake-gate/gate-state';
import { Freeze, Halt } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { CalendarVerdict, evaluateCalendar } from '@tollgate/constructs/lib/domain/release-calendar';
import { AwsClients, PipelineConnection, alarmReaderCredentials, awsClients, connectToPipeline, describeError, withAwsErrors } from '../aws';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { GATE_STALL_MINUTES, StatusVerdict, statusVerdict } from '../status-verdict';
import { CliContext } from '../context';
import { ControlView, ControlsView, readControls } from '../control-parameters';
import {
  PendingApproval,
  Revision,
  describeRevision,
  formatRevision,
  getPipelineState,
  lastSuccessfulRelease,
  pendingApprovals,
  prodPosition,
  recentExecutions,
} from '../pipeline';
import { PipelineManifest, readPipelineManifest } from '../pipeline-manifest';

export interface StageReport {
  readonly name: string;
  readonly status?: string;
  readonly executionId?: string;
  /** `ROLLBACK` when the stage last ran a rollback. */
  readonly executionType?: string;
  readonly revision?: Revision;
  readonly transition: { readonly enabled: boolean; readonly reason?: string; readonly by?: string; readonly at?: string };
  readonly actions: { readonly name: string; readonly status?: string; readonly summary?: string; readonly at?: string }[];
}

export interface BakeReport {
  /** The stage that holds the bake's approval: Dev (the dev bake, before Prod) or Prod (the prod bake). */
  readonly stage: string;
  readonly action: string;
  /**
   * `prod bake` for a bake in the promotion stage (a rejection fails that stage, which rolls it back), `dev bake`
   * for one before it: named by their place in the pipeline manifest, whatever the environments are called.
   */
  readonly kind: 'dev bake' | 'prod bake';
  readonly executionId?: string;
  readonly startedAt?: string;
  readonly bakeMinutes: number;
  readonly endsAt?: string;
  /** The bake's end plus the alarm latency: the gate approves no sooner. */
  readonly earliestApprovalAt?: string;
  readonly minutesLeft?: number;
  /** What the bake gate last wrote on the approval. */
  readonly gateSummary?: string;
  /** The build's commit, short. */
  readonly commit?: string;
  /** Why the gate still holds it, as the gate last recorded it in its state table. */
  readonly waiting?: WaitingReason;
}

/** The gate's latest reason an approval still waits (`waiting#<executionId>/<stage>/<action>` in its state table). */
export interface WaitingReason {
  readonly summary: string;
  readonly at: string;
}

/** A build at a stage's door: the gate's entry check re-checks it before it deploys. */
export interface EntryCheckReport {
  readonly stage: string;
  readonly action: string;
  readonly executionId?: string;
  readonly commit?: string;
  readonly since?: string;
  readonly gateSummary?: string;
  readonly waiting?: WaitingReason;
}

/** The bake gate itself, as it records its health in its state table. */
export type GateHealthReport = GateHealth | { readonly error: string };

export interface AlarmReport {
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly state?: string;
  readonly note?: string;
}

/** A prod wave: its stage's latest run, and each target's health alarm as read. */
export interface WaveReport {
  /** 1-based, as `rollback --wave` takes it. */
  readonly wave: number;
  readonly stage: string;
  readonly status?: string;
  readonly targets: { readonly environment: string; readonly account: string; readonly region: string; readonly health: string }[];
}

/** The waves from the manifest (the promotion stages, the environments their bakes watch) and what was read. */
export function waveReports(manifest: PipelineManifest, stages: readonly StageReport[], alarms: readonly AlarmReport[]): WaveReport[] {
  return manifest.promotionStages.map((stage, i) => {
    const watched = manifest.bakes.find((b) => b.stage === stage)?.environments ?? [];
    const targets = manifest.document.environments
      .filter((e) => watched.includes(e.name))
      .map((e) => {
        const alarm = alarms.find((a) => a.name === e.healthAlarmName && a.account === e.account && a.region === e.region);
        return { environment: e.name, account: e.account, region: e.region, health: alarm?.state ?? alarm?.note ?? 'unknown' };
      });
    return { wave: i + 1, stage, status: stages.find((s) => s.name === stage)?.status, targets };
  });
}

/** What `status --json` prints as its result: the verdict first, then the facts. */
export type StatusReport = StatusVerdict & StatusFacts;

export interface ReleaseReport {
  readonly executionId: string;
  /** Its release version from the release record; `unknown` when there is no record, no version, or it cannot be read. */
  readonly version: string;
  readonly revision: Revision;
  readonly finishedAt?: string;
}

/** Everything `status` gathers, from which {@link statusVerdict} decides what to say first. */
export interface StatusFacts {
  readonly pipeline: { readonly name: string; readonly account: string; readonly region: string; readonly version?: number; readonly at: string };
  readonly stages: StageReport[];
  /** The stage on-call protects (`stop`, `rollback`). */
  readonly prodStageName: string;
  /** The release calendar's time zone, in which the verdict says when it opens. */
  readonly calendarTimezone: string;
  /** Builds waiting in one of the bake gate's approvals: baking in Dev, or in Prod. */
  readonly bake: BakeReport[];
  /** Builds waiting at a stage's door in the gate's entry check. */
  readonly entryChecks: EntryCheckReport[];
  readonly gates: {
    readonly halt: ControlView<Halt> | { readonly state: 'error'; readonly error: string };
    readonly activeFreezes: Freeze[];
    readonly freezesError?: string;
    /** The release calendar now, with the run-time freezes that could be read. */
    readonly calendar: CalendarVerdict | { readonly error: string };
  };
  /** When the gate last completed a check, and its last failure: a dead gate decides nothing. */
  readonly gateHealth: GateHealthReport;
  readonly disabledTransitions: { readonly stage: string; readonly reason?: string; readonly by?: string; readonly at?: string }[];
  readonly alarms: AlarmReport[];
  /** Prod's waves in order (one without `prod.waves`): each wave's stage and every target's health. */
  readonly waves: WaveReport[];
  readonly prod: {
    readonly latestExecutionId?: string;
    readonly latestStatus?: string;
    readonly rollbackExecutionId?: string;
    readonly lastSuccessfulRelease?: ReleaseReport;
  };
}

const iso = (at: Date | undefined) => at && isoSeconds(at);

function stageReports(state: GetPipelineStateOutput, executions: PipelineExecutionSummary[]): StageReport[] {
  return (state.stageStates ?? []).map((stage) => {
    const executionId = stage.latestExecution?.pipelineExecutionId;
    const summary = executions.find((e) => e.pipelineExecutionId === executionId);
    const transition = stage.inboundTransitionState;
    return {
      name: stage.stageName ?? '?',
      status: stage.latestExecution?.status,
      executionId,
      executionType: stage.latestExecution?.type,
      revision: summary ? describeRevision(summary.sourceRevisions?.[0]) : undefined,
      transition: {
        // No transition state (the first stage) means nothing can be disabled there.
        enabled: transition?.enabled ?? true,
        reason: transition?.disabledReason,
        by: transition?.lastChangedBy,
        at: iso(transition?.lastChangedAt),
      },
      actions: (stage.actionStates ?? []).map((a) => ({
        name: a.actionName ?? '?',
        status: a.latestExecution?.status,
        summary: a.latestExecution?.summary,
        at: iso(a.latestExecution?.lastStatusChange),
      })),
    };
  });
}

/** What the gate keeps for status in its state table: its health, and why each pending approval waits. */
interface GateRecords {
  readonly health: GateHealthReport;
  /** By `<executionId>/<stage>/<action>`. */
  readonly waiting: ReadonlyMap<string, WaitingReason>;
}

const approvalKey = (a: PendingApproval) => `${a.executionId}/${a.stageName}/${a.actionName}`;

/** The gate's reason for a pending approval, unless it was recorded before the approval started (an earlier wait). */
function waitingFor(a: PendingApproval, records: GateRecords): WaitingReason | undefined {
  const waiting = records.waiting.get(approvalKey(a));
  return waiting && (!a.since || Date.parse(waiting.at) >= a.since.getTime()) ? waiting : undefined;
}

function bakeReports(state: GetPipelineStateOutput, executions: PipelineExecutionSummary[], manifest: PipelineManifest, records: GateRecords, now: Date): BakeReport[] {
  const latency = manifest.document.alarmLatencyMinutes;
  return pendingApprovals(state)
    .flatMap((a) => {
      const bake = manifest.bakeAt(a.stageName, a.actionName);
      return bake ? [{ a, minutes: bake.minutes }] : [];
    })
    .map(({ a, minutes }) => {
      const prod = manifest.isPromotionStageBake(a.stageName, a.actionName);
      const ends = a.since ? new Date(a.since.getTime() + minutes * 60_000) : undefined;
      return {
        stage: a.stageName,
        action: a.actionName,
        kind: prod ? 'prod bake' : 'dev bake',
        executionId: a.executionId,
        startedAt: iso(a.since),
        bakeMinutes: minutes,
        endsAt: iso(ends),
        earliestApprovalAt: ends && isoSeconds(new Date(ends.getTime() + latency * 60_000)),
        minutesLeft: ends ? Math.max(0, Math.ceil((ends.getTime() - now.getTime()) / 60_000)) : undefined,
        gateSummary: a.summary,
        commit: commitOf(executions, a.executionId),
        waiting: waitingFor(a, records),
      };
    });
}

function entryCheckReports(state: GetPipelineStateOutput, executions: PipelineExecutionSummary[], manifest: PipelineManifest, records: GateRecords): EntryCheckReport[] {
  return pendingApprovals(state)
    .filter((a) => manifest.isEntryCheck(a.stageName, a.actionName))
    .map((a) => ({
      stage: a.stageName,
      action: a.actionName,
      executionId: a.executionId,
      commit: commitOf(executions, a.executionId),
      since: iso(a.since),
      gateSummary: a.summary,
      waiting: waitingFor(a, records),
    }));
}

function commitOf(executions: PipelineExecutionSummary[], executionId: string | undefined): string | undefined {
  return executions.find((e) => e.pipelineExecutionId === executionId)?.sourceRevisions?.[0]?.revisionId?.slice(0, 7);
}

/**
 * Every alarm the bake gate watches, as the pipeline manifest lists them: each environment's health alarm and
 * any others. An environment in the caller's account is read with the caller's
 * credentials; one in another account through the operator role and that account's read-only reader role.
 */
async function alarmReports(connection: PipelineConnection, manifest: PipelineManifest): Promise<AlarmReport[]> {
  const { identity, aws } = connection;
  const readerCredentials = alarmReaderCredentials(connection);
  return Promise.all(
    manifest.watchedAlarms.map(async ({ name, environment }): Promise<AlarmReport> => {
      const env = { account: environment.account, region: environment.region };
      try {
        const cloudWatch =
          env.account !== identity.account
            ? awsClients(env.region, await readerCredentials(env.account)).cloudWatch
            : env.region === aws.region
              ? aws.cloudWatch
              : awsClients(env.region).cloudWatch;
        const found = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }));
        const alarm = [...(found.CompositeAlarms ?? []), ...(found.MetricAlarms ?? [])][0];
        return alarm ? { name, ...env, state: alarm.StateValue } : { name, ...env, note: 'does not exist' };
      } catch (err) {
        return { name, ...env, note: `unreadable: ${describeError(err)}` };
      }
    }),
  );
}

/**
 * The gate's records for status, read with one consistent Query of its partition: its health (see the gate's
 * `recordHealth`) and why each pending approval waits. None of either is no error: an older gate writes no
 * waiting reasons.
 */
async function gateRecords(clients: AwsClients, tableName: string): Promise<GateRecords> {
  try {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await clients.dynamodb.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk',
          FilterExpression: 'begins_with(sk, :health) OR begins_with(sk, :waiting)',
          ExpressionAttributeValues: { ':pk': { S: HEALTH_KEYS.partition }, ':health': { S: 'health#' }, ':waiting': { S: HEALTH_KEYS.waitingPrefix } },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    const item = (sk: string) => items.find((i) => i.sk?.S === sk);
    // The gate writes milliseconds; status shows every instant in ISO seconds.
    const instant = (value: AttributeValue | undefined) => (value?.S && !Number.isNaN(Date.parse(value.S)) ? isoSeconds(new Date(value.S)) : value?.S);
    const check = item(HEALTH_KEYS.lastCheck);
    const error = item(HEALTH_KEYS.lastError);
    const waiting = new Map<string, WaitingReason>();
    for (const i of items) {
      const sk = i.sk?.S ?? '';
      if (sk.startsWith(HEALTH_KEYS.waitingPrefix) && i.summary?.S) waiting.set(sk.slice(HEALTH_KEYS.waitingPrefix.length), { summary: i.summary.S, at: instant(i.at) ?? '' });
    }
    return {
      health: { lastCheckAt: instant(check?.at), lastError: error?.at?.S ? { at: instant(error.at)!, message: error.message?.S ?? '' } : undefined },
      waiting,
    };
  } catch (err) {
    return { health: { error: describeError(err) }, waiting: new Map() };
  }
}

/** `last check 10:41:07Z (26 s ago)`, flagged when older than the heartbeat alarm's five minutes. */
function gateHealthLine(health: GateHealthReport, now: Date): string {
  if ('error' in health) return `UNKNOWN (${health.error})`;
  const parts: string[] = [];
  if (!health.lastCheckAt) parts.push('NO CHECK ON RECORD: the gate has never completed a check');
  else {
    const ago = Math.round((now.getTime() - Date.parse(health.lastCheckAt)) / 1000);
    const stale = ago > GATE_STALL_MINUTES * 60 ? ` — STALLED: no check for more than ${GATE_STALL_MINUTES} min, pending bakes are not being decided` : '';
    parts.push(`last check ${health.lastCheckAt} (${duration(ago * 1000, 's')} ago)${stale}`);
  }
  if (health.lastError) parts.push(`last error ${health.lastError.at}: ${health.lastError.message}`);
  return parts.join('; ');
}

/** The release version in an execution's release record (read with the caller's own credentials), or `unknown`. */
async function recordedVersion(clients: AwsClients, pipelineName: string, executionId: string): Promise<string> {
  try {
    const answer = await clients.dynamodb.send(new GetItemCommand({ TableName: releaseRecordTableName(pipelineName), Key: { [RELEASE_RECORD_KEY]: { S: executionId } }, ProjectionExpression: 'version' }));
    return answer.Item?.version?.S ?? 'unknown';
  } catch {
    // No table (the recorder is not deployed) or no access: status still says everything else.
    return 'unknown';
  }
}

async function gatherStatus(ctx: CliContext, connection: PipelineConnection): Promise<StatusFacts> {
  const { config, aws: clients, identity } = connection;
  const { pipelineName } = config;
  const now = ctx.now();
  // One after the other: an unknown pipeline fails on the first call and leaves nothing in flight.
  const state = await getPipelineState(clients.codePipeline, pipelineName);
  const manifest = await readPipelineManifest(clients.ssm, config, ctx.err, identity.arn.split(':')[1] || 'aws');
  const executions = await recentExecutions(clients.codePipeline, pipelineName);
  let controls: ControlsView | { error: string };
  try {
    controls = await readControls(clients.ssm, pipelineName);
  } catch (err) {
    controls = { error: describeError(err) };
  }
  const freezes = 'error' in controls ? [] : controls.freezes.state === 'set' ? controls.freezes.value : [];
  const activeFreezes = freezes.filter((f) => Date.parse(f.end) > now.getTime() && (!f.start || Date.parse(f.start) <= now.getTime()));
  const stages = stageReports(state, executions);
  const position = prodPosition(state, executions, manifest.promotionStages[0]);
  const release = lastSuccessfulRelease(executions);
  const [records, alarms, version] = await Promise.all([
    gateRecords(clients, manifest.document.gateStateTableName),
    alarmReports(connection, manifest),
    release ? recordedVersion(clients, pipelineName, release.pipelineExecutionId!) : undefined,
  ]);
  return {
    pipeline: { name: pipelineName, account: config.deployment.account, region: config.deployment.region, version: state.pipelineVersion, at: isoSeconds(now) },
    stages,
    prodStageName: manifest.promotionStages[0],
    calendarTimezone: config.calendar.timezone,
    bake: bakeReports(state, executions, manifest, records, now),
    entryChecks: entryCheckReports(state, executions, manifest, records),
    gates: {
      halt: 'error' in controls ? { state: 'error', error: controls.error } : controls.halt,
      activeFreezes,
      freezesError: 'error' in controls ? controls.error : controls.freezes.state === 'unreadable' ? controls.freezes.error : undefined,
      calendar: calendarVerdict(config, now, freezes),
    },
    gateHealth: records.health,
    disabledTransitions: stages.filter((s) => !s.transition.enabled).map((s) => ({ stage: s.name, ...s.transition })),
    alarms,
    waves: waveReports(manifest, stages, alarms),
    prod: {
      latestExecutionId: position?.latestExecutionId,
      latestStatus: position?.latestStatus,
      rollbackExecutionId: position?.rollbackExecutionId,
      lastSuccessfulRelease: release && {
        executionId: release.pipelineExecutionId!,
        version: version ?? 'unknown',
        revision: describeRevision(release.sourceRevisions?.[0]),
        finishedAt: iso(release.lastUpdateTime),
      },
    },
  };
}

function calendarVerdict(config: TollgateConfig, now: Date, freezes: Freeze[]): CalendarVerdict | { error: string } {
  try {
    return evaluateCalendar(config.calendar, now, freezes);
  } catch (err) {
    // A freeze with an unreadable time: the gate cannot decide either.
    return { error: (err as Error).message };
  }
}

function haltLine(halt: StatusReport['gates']['halt']): string {
  switch (halt.state) {
    case 'absent':
      return 'not set';
    case 'error':
      return `UNKNOWN (${halt.error})`;
    case 'unreadable':
      return `UNREADABLE, the gate promotes nothing (${halt.error})`;
    case 'set':
      return `${halt.value.halted ? 'HALTED' : 'not halted'} by ${halt.value.by} at ${halt.value.at}: ${halt.value.reason}`;
  }
}

function printStatus(ctx: CliContext, report: StatusReport): void {
  const { pipeline, gates, prod } = report;
  ctx.out(report.verdict);
  for (const detail of report.details) ctx.out(`  - ${detail}`);
  ctx.out('');
  ctx.out(`Pipeline ${pipeline.name} (account ${pipeline.account}, ${pipeline.region}, version ${pipeline.version ?? '?'}) at ${pipeline.at}`);
  ctx.out('');
  ctx.out('Gates');
  ctx.out(`  bake gate:   ${gateHealthLine(report.gateHealth, new Date(pipeline.at))}`);
  ctx.out(`  halt flag:   ${haltLine(gates.halt)}`);
  const calendar = gates.calendar;
  ctx.out(
    `  calendar:    ${'error' in calendar ? `UNKNOWN (${calendar.error})` : calendar.open ? `open until ${calendar.closesAt ?? '?'}` : `closed (${calendar.reasons.join('; ')}), opens ${calendar.nextOpen ?? 'not within a year'}`}`,
  );
  if (gates.freezesError) ctx.out(`  freezes:     UNREADABLE (${gates.freezesError})`);
  else ctx.out(`  freezes:     ${gates.activeFreezes.length === 0 ? 'none in force' : gates.activeFreezes.map((f) => `${f.name} until ${f.end} (${f.reason})`).join('; ')}`);
  for (const t of report.disabledTransitions) ctx.out(`  transition into ${t.stage}: DISABLED by ${t.by ?? '?'} at ${t.at ?? '?'}: ${t.reason ?? ''}`);
  if (report.disabledTransitions.length === 0) ctx.out('  transitions: all enabled');
  ctx.out('');
  ctx.out('Stages');
  const width = Math.max(...report.stages.map((s) => s.name.length), 5);
  const under = `  ${''.padEnd(width)}  `;
  for (const stage of report.stages) {
    const execution = stage.executionId ? ` ${stage.executionType === 'ROLLBACK' ? 'rollback ' : ''}${stage.executionId.slice(0, 8)} ${stage.revision ? formatRevision(stage.revision) : ''}` : '';
    ctx.out(`  ${stage.name.padEnd(width)}  ${(stage.status ?? 'never run').padEnd(10)}${execution.trimEnd()}`);
    for (const check of report.entryChecks.filter((c) => c.stage === stage.name)) {
      ctx.out(`${under}${check.action} pending since ${check.since ?? '?'}: the gate's entry check`);
      if (check.waiting) ctx.out(`${under}  why: ${check.waiting.summary} (gate, ${check.waiting.at})`);
    }
    for (const b of report.bake.filter((p) => p.stage === stage.name)) {
      const left =
        b.minutesLeft === undefined
          ? `${b.kind} start unknown`
          : b.minutesLeft > 0
            ? `${b.minutesLeft} min of ${b.bakeMinutes} min ${b.kind} left (ends ${b.endsAt})`
            : `${b.kind} time over since ${b.endsAt}, the gate approves from ${b.earliestApprovalAt} (alarm latency)`;
      ctx.out(`${under}${b.action} pending: ${left}${b.gateSummary ? `; gate: ${b.gateSummary}` : ''}`);
      if (b.waiting) ctx.out(`${under}  why: ${b.waiting.summary} (gate, ${b.waiting.at})`);
    }
  }
  ctx.out('');
  ctx.out('Health alarms');
  for (const a of report.alarms) ctx.out(`  ${a.name}: ${a.state ?? 'unknown'}${a.note ? ` (${a.note})` : ''}`);
  ctx.out('');
  if (report.waves.length > 1) {
    ctx.out('Prod waves');
    for (const w of report.waves) {
      ctx.out(`  wave ${w.wave}  ${w.stage}  ${w.status ?? 'never run'}`);
      for (const t of w.targets) ctx.out(`    ${t.environment} (${t.account} ${t.region}): ${t.health}`);
    }
    ctx.out('');
  }
  ctx.out('Prod');
  if (prod.latestExecutionId) {
    ctx.out(`  latest run:   ${prod.latestStatus} ${prod.rollbackExecutionId ? 'rollback ' : ''}${prod.latestExecutionId}`);
  } else {
    ctx.out('  latest run:   never');
  }
  const release = prod.lastSuccessfulRelease;
  ctx.out(`  last release: ${release ? `${release.version} ${release.executionId} ${formatRevision(release.revision)}, finished ${release.finishedAt ?? '?'}` : 'none in the execution history'}`);
}

async function status(ctx: CliContext): Promise<void> {
  const connection = await connectToPipeline();
  const facts = await withAwsErrors(connection.scope, () => gatherStatus(ctx, connection));
  const report: StatusReport = { ...statusVerdict(facts, ctx.now()), ...facts };
  ctx.report(report, (r) => printStatus(ctx, r));
}

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      'What is happening to releases, in one line first (flowing, halted, baking, held and why, rolling back, gate stalled), then the stages and their commits, the bakes, the gates (halt, calendar, freezes), every environment\'s health alarms, the last prod release',
    )
    .action(() => status(ctx));
}
