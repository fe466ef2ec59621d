import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetPipelineStateOutput, PipelineExecutionSummary } from '@aws-sdk/client-codepipeline';
import { Command } from 'commander';
import { AccountEnvironment, TollgateConfig } from '../../cdk/config';
import { type GateHealth, HEALTH_KEYS } from '../../lambdas/bake-gate/gate-state';
import { Freeze, gateStateTableName, Halt } from '../../lambdas/shared/pipeline-controls';
import { CalendarVerdict, evaluateCalendar } from '../../lambdas/shared/release-calendar';
import { AwsClients, CallerIdentity, awsClients, connectToPipeline, describeError, withAwsErrors } from '../aws';
import { CliContext } from '../context';
import { ControlView, ControlsView, readControls } from '../control-parameters';
import {
  PROD_STAGE,
  Revision,
  describeRevision,
  formatRevision,
  getPipelineState,
  isBake,
  isProdBake,
  lastSuccessfulRelease,
  pendingApprovals,
  prodPosition,
  recentExecutions,
} from '../pipeline';

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
  /** `dev bake` or `prod bake`: a rejected prod bake fails Prod, which rolls it back. */
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

export interface ReleaseReport {
  readonly executionId: string;
  readonly revision: Revision;
  readonly finishedAt?: string;
}

/** Everything `status` knows; `--json` prints exactly this. */
export interface StatusReport {
  readonly pipeline: { readonly name: string; readonly account: string; readonly region: string; readonly version?: number; readonly at: string };
  readonly stages: StageReport[];
  /** Builds waiting in one of the bake gate's approvals: baking in Dev, or in Prod. */
  readonly bake: BakeReport[];
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
  readonly prod: {
    readonly latestExecutionId?: string;
    readonly latestStatus?: string;
    readonly rollbackExecutionId?: string;
    readonly lastSuccessfulRelease?: ReleaseReport;
  };
}

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
        at: transition?.lastChangedAt?.toISOString(),
      },
      actions: (stage.actionStates ?? []).map((a) => ({
        name: a.actionName ?? '?',
        status: a.latestExecution?.status,
        summary: a.latestExecution?.summary,
        at: a.latestExecution?.lastStatusChange?.toISOString(),
      })),
    };
  });
}

function bakeReports(state: GetPipelineStateOutput, bake: TollgateConfig['bake'], now: Date): BakeReport[] {
  return pendingApprovals(state)
    .filter((a) => isBake(a.stageName, a.actionName))
    .map((a) => {
      const prod = isProdBake(a.stageName, a.actionName);
      const minutes = prod ? bake.prodBakeMinutes : bake.minutes;
      const ends = a.since ? new Date(a.since.getTime() + minutes * 60_000) : undefined;
      return {
        stage: a.stageName,
        action: a.actionName,
        kind: prod ? 'prod bake' : 'dev bake',
        executionId: a.executionId,
        startedAt: a.since?.toISOString(),
        bakeMinutes: minutes,
        endsAt: ends?.toISOString(),
        earliestApprovalAt: ends && new Date(ends.getTime() + bake.alarmLatencyMinutes * 60_000).toISOString(),
        minutesLeft: ends ? Math.max(0, Math.ceil((ends.getTime() - now.getTime()) / 60_000)) : undefined,
        gateSummary: a.summary,
      };
    });
}

/**
 * The health alarms live in the dev and prod accounts; they are read only when the credentials are for that
 * account, so that status never guesses from the wrong one.
 */
async function alarmReports(config: TollgateConfig, identity: CallerIdentity, clients: AwsClients): Promise<AlarmReport[]> {
  // The alarms the bake gate watches in dev, and prod's health, which it checks before prod and in the prod bake.
  const watched: [string, AccountEnvironment][] = [
    ['Dev-Service-Health', config.dev],
    ...config.bake.extraAlarmNames.map((name): [string, AccountEnvironment] => [name, config.dev]),
    [`${PROD_STAGE}-Service-Health`, config.prod],
  ];
  return Promise.all(
    watched.map(async ([name, env]): Promise<AlarmReport> => {
      if (env.account !== identity.account) {
        return { name, ...env, note: `in account ${env.account}; not readable with credentials for ${identity.account}` };
      }
      try {
        const cloudWatch = env.region === clients.region ? clients.cloudWatch : awsClients(env.region).cloudWatch;
        const found = await cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] }));
        const alarm = [...(found.CompositeAlarms ?? []), ...(found.MetricAlarms ?? [])][0];
        return alarm ? { name, ...env, state: alarm.StateValue } : { name, ...env, note: 'does not exist' };
      } catch (err) {
        return { name, ...env, note: `unreadable: ${describeError(err)}` };
      }
    }),
  );
}

/** The gate's health records (see the gate's `recordHealth`), read with one consistent Query. */
async function gateHealth(clients: AwsClients, pipelineName: string): Promise<GateHealthReport> {
  try {
    const { Items } = await clients.dynamodb.send(
      new QueryCommand({
        TableName: gateStateTableName(pipelineName),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :health)',
        ExpressionAttributeValues: { ':pk': { S: HEALTH_KEYS.partition }, ':health': { S: 'health#' } },
        ConsistentRead: true,
      }),
    );
    const item = (sk: string) => (Items ?? []).find((i) => i.sk?.S === sk);
    const check = item(HEALTH_KEYS.lastCheck);
    const error = item(HEALTH_KEYS.lastError);
    return {
      lastCheckAt: check?.at?.S,
      lastError: error?.at?.S ? { at: error.at.S, message: error.message?.S ?? '' } : undefined,
    };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** `last check 10:41:07Z (26 s ago)`, flagged when older than the heartbeat alarm's five minutes. */
function gateHealthLine(health: GateHealthReport, now: Date): string {
  if ('error' in health) return `UNKNOWN (${health.error})`;
  const parts: string[] = [];
  if (!health.lastCheckAt) parts.push('NO CHECK ON RECORD: the gate has never completed a check');
  else {
    const ago = Math.round((now.getTime() - Date.parse(health.lastCheckAt)) / 1000);
    const stale = ago > 300 ? ' — STALLED: no check for more than 5 min, pending bakes are not being decided' : '';
    parts.push(`last check ${health.lastCheckAt} (${ago < 120 ? `${ago} s` : `${Math.round(ago / 60)} min`} ago)${stale}`);
  }
  if (health.lastError) parts.push(`last error ${health.lastError.at}: ${health.lastError.message}`);
  return parts.join('; ');
}

async function gatherStatus(ctx: CliContext, config: TollgateConfig, clients: AwsClients, identity: CallerIdentity): Promise<StatusReport> {
  const { pipelineName } = config;
  const now = ctx.now();
  // One after the other: an unknown pipeline fails on the first call and leaves nothing in flight.
  const state = await getPipelineState(clients.codePipeline, pipelineName);
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
  const position = prodPosition(state, executions);
  const release = lastSuccessfulRelease(executions);
  return {
    pipeline: { name: pipelineName, account: config.deployment.account, region: config.deployment.region, version: state.pipelineVersion, at: now.toISOString() },
    stages,
    bake: bakeReports(state, config.bake, now),
    gates: {
      halt: 'error' in controls ? { state: 'error', error: controls.error } : controls.halt,
      activeFreezes,
      freezesError: 'error' in controls ? controls.error : controls.freezes.state === 'unreadable' ? controls.freezes.error : undefined,
      calendar: calendarVerdict(config, now, freezes),
    },
    gateHealth: await gateHealth(clients, pipelineName),
    disabledTransitions: stages.filter((s) => !s.transition.enabled).map((s) => ({ stage: s.name, ...s.transition })),
    alarms: await alarmReports(config, identity, clients),
    prod: {
      latestExecutionId: position?.latestExecutionId,
      latestStatus: position?.latestStatus,
      rollbackExecutionId: position?.rollbackExecutionId,
      lastSuccessfulRelease: release && {
        executionId: release.pipelineExecutionId!,
        revision: describeRevision(release.sourceRevisions?.[0]),
        finishedAt: release.lastUpdateTime?.toISOString(),
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
  for (const stage of report.stages) {
    const execution = stage.executionId ? ` ${stage.executionType === 'ROLLBACK' ? 'rollback ' : ''}${stage.executionId.slice(0, 8)} ${stage.revision ? formatRevision(stage.revision) : ''}` : '';
    ctx.out(`  ${stage.name.padEnd(width)}  ${(stage.status ?? 'never run').padEnd(10)}${execution.trimEnd()}`);
    for (const b of report.bake.filter((p) => p.stage === stage.name)) {
      const left =
        b.minutesLeft === undefined
          ? `${b.kind} start unknown`
          : b.minutesLeft > 0
            ? `${b.minutesLeft} min of ${b.bakeMinutes} min ${b.kind} left (ends ${b.endsAt})`
            : `${b.kind} time over since ${b.endsAt}, the gate approves from ${b.earliestApprovalAt} (alarm latency)`;
      ctx.out(`  ${''.padEnd(width)}  ${b.action} pending: ${left}${b.gateSummary ? `; gate: ${b.gateSummary}` : ''}`);
    }
  }
  ctx.out('');
  ctx.out('Health alarms');
  for (const a of report.alarms) ctx.out(`  ${a.name}: ${a.state ?? 'unknown'}${a.note ? ` (${a.note})` : ''}`);
  ctx.out('');
  ctx.out('Prod');
  if (prod.latestExecutionId) {
    ctx.out(`  latest run:   ${prod.latestStatus} ${prod.rollbackExecutionId ? 'rollback ' : ''}${prod.latestExecutionId}`);
  } else {
    ctx.out('  latest run:   never');
  }
  const release = prod.lastSuccessfulRelease;
  ctx.out(`  last release: ${release ? `${release.executionId} ${formatRevision(release.revision)}, finished ${release.finishedAt ?? '?'}` : 'none in the execution history'}`);
}

async function status(ctx: CliContext, options: { json?: boolean }): Promise<void> {
  const { config, aws, scope, identity } = await connectToPipeline();
  const report = await withAwsErrors(scope, () => gatherStatus(ctx, config, aws, identity));
  if (options.json) ctx.out(JSON.stringify(report, null, 2));
  else printStatus(ctx, report);
}

export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description('The pipeline at a glance: stages and their commits, the bakes (in Dev, and the prod bake), the gates (halt, calendar, freezes), disabled transitions, the last prod release')
    .option('--json', 'print the report as JSON')
    .action((options: { json?: boolean }) => status(ctx, options));
}
