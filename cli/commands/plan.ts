import * as path from 'node:path';
import { Command } from 'commander';
import { lateStartMarginMinutes } from '../../cdk/bake-config';
import { haltParameterName } from '../../lambdas/shared/pipeline-controls';
import { formatInZone } from '../../lambdas/shared/release-calendar';
import { loadAppConfig } from '../app-config';
import { CliContext } from '../context';
import { parseWholeNumber } from '../options';
import { PROD_STAGE } from '../pipeline';
import { readAssembly } from '../plan/assembly';
import { BakeEvidence, PlanBake, PlanEntryCheck, gateBakes, gateEntryChecks } from '../plan/bakes';
import { calendarSettings, nextCalendarOpening } from '../plan/calendar';
import { ConditionSummary, ExposureFigure, PlanStage, PromotionPlan, TrafficShiftPlan, promotionPlan, stageExposure } from '../plan/promotion';
import { DEFAULT_ESTIMATES, DurationEstimates, Timeline, earliestTimeline } from '../plan/timeline';
import { PROJECT_ROOT } from '../project';

interface PlanOptions {
  readonly json?: boolean;
  readonly dir: string;
  readonly buildMinutes: number;
  readonly deployMinutes: number;
}

/** Everything `plan` works out; `--json` prints exactly this. */
export interface PlanReport {
  readonly assembly: string;
  readonly promotion: PromotionPlan;
  /** The bake gate's approvals, as the synthesized gate is told them: the dev bake before prod, the prod bake after it. */
  readonly bakes: PlanBake[];
  /** The gate's checks at a stage's door (Prod), which re-check any build right before it deploys. */
  readonly entryChecks: PlanEntryCheck[];
  readonly gates: {
    readonly haltFlag: string;
    /** The release calendar's settings in one line. */
    readonly calendar: string;
  };
  /** The calendar's time zone, in which the times are also shown. */
  readonly calendarTimezone: string;
  /** How much of the calendar window the gate wants left before prod. */
  readonly lateStartMarginMinutes: number;
  readonly estimates: DurationEstimates;
  readonly timeline: Timeline;
  /** The worst-case exposure of a bad build in prod. */
  readonly exposure: ExposureFigure;
}

function buildReport(ctx: CliContext, options: PlanOptions): PlanReport {
  const config = loadAppConfig();
  const stacks = readAssembly(options.dir);
  const promotion = promotionPlan(stacks, config.pipelineName);
  const estimates = { buildMinutes: options.buildMinutes, deployMinutes: options.deployMinutes };
  const margin = lateStartMarginMinutes(config.bake);
  const pipelineStack = stacks.find((st) => st.stackName === promotion.pipelineStack);
  const bakes = gateBakes(pipelineStack, promotion.pipelineName);
  const entryChecks = gateEntryChecks(pipelineStack, promotion.pipelineName);
  return {
    assembly: options.dir,
    promotion,
    bakes,
    entryChecks,
    gates: {
      haltFlag: haltParameterName(config.pipelineName),
      calendar: calendarSettings(config),
    },
    calendarTimezone: config.calendar.timezone,
    lateStartMarginMinutes: margin,
    estimates,
    timeline: earliestTimeline(promotion, {
      now: ctx.now(),
      bakes,
      estimates,
      prodStage: PROD_STAGE,
      nextOpening: (at) => nextCalendarOpening(config, at, margin),
    }),
    exposure: stageExposure(promotion, PROD_STAGE),
  };
}

function shiftLine(t: TrafficShiftPlan): string {
  const { shift } = t;
  const how =
    shift.type === 'canary'
      ? `canary ${shift.percent} % for ${shift.intervalMinutes} min, then all`
      : shift.type === 'linear'
        ? `linear ${shift.percent} % every ${shift.intervalMinutes} min`
        : 'all at once';
  const alarms = t.alarms.length > 0 ? `; stops on ${t.alarms.map((a) => a.name).join(', ')}` : '; no alarms';
  const rollback = t.autoRollbackEvents.length > 0 ? `; rolls back on ${t.autoRollbackEvents.join(', ')}` : '';
  return `${t.deploymentGroup}: ${how}${shift.predefinedName ? ` (${shift.predefinedName})` : ''}${alarms}${rollback}`;
}

function conditionLines(label: string, conditions: ConditionSummary[]): string[] {
  return conditions.map((c) => {
    const rules = c.rules.map((r) => `${r.provider} ${r.name}${Object.keys(r.configuration).length > 0 ? ` ${Object.entries(r.configuration).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`);
    return `${label}: ${c.result ?? '?'}${rules.length > 0 ? ` unless ${rules.join(' and ')}` : ''}`;
  });
}

/** What the gate requires as evidence of traffic, in one line; loud when it requires none. */
export function evidenceLine(evidence: BakeEvidence): string {
  if (evidence === 'none required') return 'NO EVIDENCE OF TRAFFIC REQUIRED (bake.allowNoTraffic)';
  const parts = [
    ...(evidence.syntheticCoveragePercent !== undefined ? [`synthetic checks in ≥ ${evidence.syntheticCoveragePercent} % of the bake's minutes`] : []),
    ...(evidence.minimumRequests !== undefined ? [`≥ ${evidence.minimumRequests} requests`] : []),
  ];
  return parts.join(' and ');
}

/** A bake in one line: where, how long, what the gate waits for after it, and what a rejection does. */
function bakeLine(bake: PlanBake, stage: PlanStage | undefined): string {
  const rollsBack = stage?.conditions.onFailure.some((c) => c.result === 'ROLLBACK' && c.rules.length === 0);
  const outcome = bake.promotesTo
    ? `then ${bake.promotesTo}; a rejection stops the build`
    : `a rejection fails ${bake.stage}${rollsBack ? ', which rolls it back to the last successful release (on failure: ROLLBACK)' : ' (no rollback on failure)'}`;
  const upstream = bake.upstream ? `; a ${bake.upstream.environment} ALARM while ${bake.upstream.environment} still ran the build (from ${bake.upstream.approval}) rejects too` : '';
  return `${bake.environment} bake: ${bake.minutes} min in ${bake.stage} (approval ${bake.action}) + ${bake.alarmLatencyMinutes} min alarm latency, owned by the bake gate; ${outcome}${upstream}`;
}

/** An entry check in one line: what it re-checks, and that it adds no time when all is clear. */
function entryCheckLine(check: PlanEntryCheck): string {
  return `entry check: ${check.stage} (approval ${check.action}, beside Prepare), owned by the bake gate; the build deploys only if ${check.upstreamEnvironment} stayed clean since its bake and ${check.environment} is healthy, the calendar open and nothing halted; no wait when all is clear`;
}

function stageLines(stage: PlanStage, bakes: readonly PlanBake[], entryChecks: readonly PlanEntryCheck[]): string[] {
  const lines: string[] = [];
  const entry = entryChecks.find((c) => c.stage === stage.name);
  if (entry) lines.push(`first, the gate's entry check ${entry.action}: ${entry.upstreamEnvironment} clean since its bake, ${entry.environment} ready`);
  for (const d of stage.deploys) {
    lines.push(`deploys ${d.stackName} to account ${d.account ?? '?'} ${d.region ?? '?'}`);
    for (const t of d.trafficShifts) lines.push(`  ${shiftLine(t)}`);
    if (d.trafficShiftsUnreadable) lines.push(`  traffic shifting unreadable: ${d.trafficShiftsUnreadable}`);
    for (const s of d.serviceRollouts) {
      lines.push(
        `  ECS ${s.service}: ${s.strategy}${s.alarms.length > 0 ? `, ${s.rollbackOnAlarm ? 'rolls back' : 'stops'} on ${s.alarms.join(', ')}` : ''}${s.circuitBreakerRollback ? ', circuit breaker rolls back' : ''}${s.bakeTimeMinutes ? `, bake ${s.bakeTimeMinutes} min` : ''}`,
      );
    }
  }
  for (const a of stage.approvals.filter((ap) => ap.name !== entry?.action)) {
    const bake = bakes.find((b) => b.stage === stage.name && b.action === a.name);
    const what = bake ? `then the ${bake.environment} bake: ${bake.minutes} min + ${bake.alarmLatencyMinutes} min alarm latency in gate-owned approval` : 'holds in approval';
    lines.push(`${what} ${a.name}${a.timeoutMinutes ? ` (times out after ${a.timeoutMinutes} min)` : ''}`);
  }
  if (stage.deploys.length === 0 && stage.approvals.length === 0) lines.push(stage.actions.map((a) => `${a.provider} ${a.name}`).join(', '));
  lines.push(...conditionLines('before entry', stage.conditions.beforeEntry), ...conditionLines('on success', stage.conditions.onSuccess), ...conditionLines('on failure', stage.conditions.onFailure));
  return lines;
}

function printReport(ctx: CliContext, report: PlanReport): void {
  const { promotion, timeline } = report;
  ctx.out(`Promotion plan of pipeline ${promotion.pipelineName} (stack ${promotion.pipelineStack}), from ${report.assembly}`);
  if (promotion.source) ctx.out(`  source: ${promotion.source.repository} branch ${promotion.source.branch}; execution mode ${promotion.executionMode ?? '?'}`);
  ctx.out('');
  ctx.out('Promotion path');
  const width = Math.max(...promotion.stages.map((s) => s.name.length));
  promotion.stages.forEach((stage, i) => {
    const [first, ...rest] = stageLines(stage, report.bakes, report.entryChecks);
    ctx.out(`  ${i + 1}. ${stage.name.padEnd(width)}  ${first}`);
    for (const line of rest) ctx.out(`     ${''.padEnd(width)}  ${line}`);
  });
  ctx.out('');
  ctx.out('Gates');
  if (report.bakes.length === 0) ctx.out('  bake:      none in this pipeline');
  for (const bake of report.bakes) {
    ctx.out(`  ${bakeLine(bake, promotion.stages.find((st) => st.name === bake.stage))}`);
    ctx.out(`    evidence: ${evidenceLine(bake.evidence)}`);
  }
  for (const check of report.entryChecks) ctx.out(`  ${entryCheckLine(check)}`);
  ctx.out(`  halt flag: ${report.gates.haltFlag} (tollgate stop / resume)`);
  ctx.out(`  calendar:  ${report.gates.calendar} (before ${PROD_STAGE}, with ${report.lateStartMarginMinutes} min of the window left: prod deploy + prod bake + alarm latency)`);
  ctx.out('');
  ctx.out(`Earliest path of a commit pushed at ${timeline.pushedAt} (build ~${report.estimates.buildMinutes} min and deployments ~${report.estimates.deployMinutes} min are estimates)`);
  const stepWidth = Math.max(...timeline.steps.map((s) => s.stage.length));
  for (const s of timeline.steps) ctx.out(`  ${`+${s.minutes} min`.padStart(10)}  ${s.stage.padEnd(stepWidth)}  ${s.what}, until ${s.endsAt}`);
  if (timeline.neverBecause) ctx.out(`  never reaches ${PROD_STAGE}: ${timeline.neverBecause}`);
  const local = (iso: string | undefined) => (iso ? `${iso} (${formatInZone(Date.parse(iso), report.calendarTimezone)} ${report.calendarTimezone})` : 'never');
  ctx.out(`  reaches ${PROD_STAGE}: ${local(timeline.reachesProdAt)}`);
  ctx.out(`  released:    ${local(timeline.releasedAt)}`);
  ctx.out('');
  const exposure = report.exposure;
  ctx.out(`Worst-case ${PROD_STAGE} exposure of a bad build: ${'unavailable' in exposure ? `unknown (${exposure.unavailable})` : `${exposure.description}, ${exposure.stackName} ${exposure.deploymentGroup}`}`);
}

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  const minutes = (option: string) => parseWholeNumber(option, 'minutes', 0, 24 * 60);
  program
    .command('plan')
    .description('Dry run, offline, from the synthesized app (npm run synth): the promotion path, bake, canary, gates, the earliest a commit pushed now reaches prod, and the worst-case exposure')
    .option('--json', 'print the plan as JSON')
    .option('--dir <cdk.out>', 'the cloud assembly to read', path.join(PROJECT_ROOT, 'cdk.out'))
    .option('--build-minutes <minutes>', 'estimate for source, build, self-update and assets', minutes('--build-minutes'), DEFAULT_ESTIMATES.buildMinutes)
    .option('--deploy-minutes <minutes>', 'estimate for one CloudFormation deployment, before traffic shifting', minutes('--deploy-minutes'), DEFAULT_ESTIMATES.deployMinutes)
    .action((options: PlanOptions) => {
      const report = buildReport(ctx, options);
      ctx.report(report, (r) => printReport(ctx, r));
    });
}
