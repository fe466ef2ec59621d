/**
 * `plan` as text a person takes in at a glance: first the earliest path of a commit, step by step in the
 * calendar's local time with human durations, then the stages and gates in detail; no line wider than
 * {@link WIDTH} columns.
 */
import { guardedStackOf } from '@tollgate/constructs/lib/domain/replacement-guard';
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { describeCostItems, formatDollars } from '@tollgate/constructs/lib/domain/release-cost';
import type { PlanReport } from '../commands/plan';
import { localMoment } from '../status-verdict';
import type { BakeEvidence, PlanBake, PlanEntryCheck } from './bakes';
import { ConditionSummary, DeploymentExposure, ExposureFigure, PlanStage, TrafficShiftPlan, describeEcsShift, describeShift } from './promotion';
import { WIDTH, hanging, wrap } from '../text';
import type { TimelineStep } from './timeline';

const minutes = (n: number) => duration(n * 60_000);

/** What the gate requires as evidence of traffic, in one line; loud when it requires none. */
export function evidenceLine(evidence: BakeEvidence): string {
  if (evidence === 'none required') return 'NO EVIDENCE OF TRAFFIC REQUIRED (bake.allowNoTraffic)';
  const parts = [
    ...(evidence.syntheticCoveragePercent !== undefined ? [`synthetic checks in ≥ ${evidence.syntheticCoveragePercent} % of the bake's minutes`] : []),
    ...(evidence.minimumRequests !== undefined ? [`≥ ${evidence.minimumRequests} requests`] : []),
  ];
  return parts.join(' and ');
}

/** Steps whose minutes are estimates, marked `~`. */
const ESTIMATED: readonly TimelineStep['kind'][] = ['build', 'deploy', 'guard', 'tests'];

/** The earliest path as a table: when (local time), stage, step, what, how long. */
function timelineLines(report: PlanReport): string[] {
  const { timeline, calendarTimezone: zone } = report;
  const pushed = new Date(Date.parse(timeline.pushedAt));
  const at = (iso: string) => localMoment(iso, zone, pushed);
  const rows = timeline.steps.map((s, i) => ({
    when: at(s.startsAt),
    stage: i > 0 && timeline.steps[i - 1].stage === s.stage ? '' : s.stage,
    kind: s.kind,
    what: s.what,
    takes: `${ESTIMATED.includes(s.kind) ? '~' : ''}${minutes(s.minutes)}`,
  }));
  const width = (key: 'when' | 'stage' | 'kind' | 'takes') => Math.max(...rows.map((r) => r[key].length));
  const [whenW, stageW, kindW, takesW] = [width('when'), width('stage'), width('kind'), width('takes')];
  const whatW = WIDTH - (2 + whenW + 2 + stageW + 2 + kindW + 2 + 2 + takesW);
  const lines = rows.flatMap((r) => {
    const [first, ...more] = wrap(r.what, whatW);
    const lead = `  ${r.when.padEnd(whenW)}  ${r.stage.padEnd(stageW)}  ${r.kind.padEnd(kindW)}  `;
    return [`${lead}${first.padEnd(whatW)}  ${r.takes.padStart(takesW)}`.trimEnd(), ...more.map((m) => `${' '.repeat(lead.length)}${m}`)];
  });
  if (timeline.releasedAt) lines.push(`  ${at(timeline.releasedAt).padEnd(whenW)}  ${''.padEnd(stageW)}  released`);
  return lines;
}

function headline(report: PlanReport): string[] {
  const { timeline, calendarTimezone: zone } = report;
  const pushed = new Date(Date.parse(timeline.pushedAt));
  const local = (iso: string) => `${localMoment(iso, zone, pushed)} ${zone} (${iso})`;
  const after = (iso: string) => minutes((Date.parse(iso) - pushed.getTime()) / 60_000);
  return [
    ...hanging('', `Earliest path of a commit pushed ${local(timeline.pushedAt)}; times in ${zone}, ~ marks estimates`),
    '',
    ...timelineLines(report),
    '',
    ...(timeline.neverBecause ? hanging('  never reaches Prod: ', timeline.neverBecause) : []),
    ...(timeline.reachesProdAt ? hanging('  reaches Prod  ', `${local(timeline.reachesProdAt)}, ${after(timeline.reachesProdAt)} after the push`) : []),
    // With waves, when each later wave is reached at the earliest (the calendar holds each wave's door).
    ...timeline.promotions.slice(1).flatMap((p) => hanging(`  reaches ${p.stage}  `, `${local(p.reachedAt)}, ${after(p.reachedAt)} after the push`)),
    ...(timeline.releasedAt ? hanging('  released      ', `${local(timeline.releasedAt)}, ${after(timeline.releasedAt)} after the push`) : []),
  ];
}

function shiftLine(t: TrafficShiftPlan): string {
  const alarms = t.alarms.length > 0 ? `; stops on ${t.alarms.map((a) => a.name).join(', ')}` : '; no alarms';
  const rollback = t.autoRollbackEvents.length > 0 ? `; rolls back on ${t.autoRollbackEvents.join(', ')}` : '';
  return `${t.constructPath}: ${describeShift(t.shift)}${t.shift.predefinedName ? ` (${t.shift.predefinedName})` : ''}${alarms}${rollback}`;
}

function conditionLines(label: string, conditions: ConditionSummary[]): string[] {
  return conditions.map((c) => {
    const rules = c.rules.map((r) => `${r.provider} ${r.name}${Object.keys(r.configuration).length > 0 ? ` ${Object.entries(r.configuration).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`);
    return `${label}: ${c.result ?? '?'}${rules.length > 0 ? ` unless ${rules.join(' and ')}` : ''}`;
  });
}

/** A stage's facts, each `[depth, text]`: what it deploys where, how traffic shifts, its approvals and conditions. */
function stageFacts(stage: PlanStage, bakes: readonly PlanBake[], entryChecks: readonly PlanEntryCheck[]): [number, string][] {
  const facts: [number, string][] = [];
  const entry = entryChecks.find((c) => c.stage === stage.name);
  if (entry) facts.push([0, `first, the gate's entry check ${entry.action}: ${entry.upstreamEnvironment} clean since its bake, ${entry.environment} ready`]);
  for (const d of stage.deploys) {
    facts.push([0, `deploys ${d.stackName} to account ${d.account ?? '?'} ${d.region ?? '?'}`]);
    for (const t of d.trafficShifts) facts.push([1, shiftLine(t)]);
    if (d.trafficShiftsUnreadable) facts.push([1, `traffic shifting unreadable: ${d.trafficShiftsUnreadable}`]);
    for (const s of d.serviceRollouts) {
      const alarms = s.alarms.length > 0 ? `, ${s.rollbackOnAlarm ? 'rolls back' : 'stops'} on ${s.alarms.join(', ')}` : '';
      const how = s.shift ? `${describeEcsShift(s.shift)} (${s.strategy})` : `${s.strategy}${s.bakeTimeMinutes ? `, bake ${minutes(s.bakeTimeMinutes)}` : ''}`;
      facts.push([1, `ECS ${s.service}: ${how}${alarms}${s.circuitBreakerRollback ? ', circuit breaker rolls back' : ''}`]);
    }
    if (d.serviceShiftsUnreadable) facts.push([1, `ECS traffic shifting unreadable: ${d.serviceShiftsUnreadable}`]);
  }
  // A release stage's own CodeBuild steps (replacement guards, the Sandbox stage's integration tests): a failure stops the release there.
  if (stage.deploys.length > 0) {
    for (const a of stage.actions.filter((ac) => ac.provider === 'CodeBuild')) {
      const guard = guardedStackOf(a.name) !== undefined;
      facts.push([0, guard ? `before deploying, CodeBuild ${a.name}: a stateful replacement stops the release in ${stage.name}` : `then CodeBuild ${a.name}; a failure stops the release in ${stage.name}`]);
    }
  }
  for (const a of stage.approvals.filter((ap) => ap.name !== entry?.action)) {
    const bake = bakes.find((b) => b.stage === stage.name && b.action === a.name);
    const what = bake ? `then the ${bake.environment} bake: ${minutes(bake.minutes)} + ${minutes(bake.alarmLatencyMinutes)} alarm latency in gate-owned approval` : 'holds in approval';
    facts.push([0, `${what} ${a.name}${a.timeoutMinutes ? ` (times out after ${minutes(a.timeoutMinutes)})` : ''}`]);
  }
  if (stage.deploys.length === 0 && stage.approvals.length === 0) facts.push([0, stage.actions.map((a) => `${a.provider} ${a.name}`).join(', ')]);
  const conditions = [...conditionLines('before entry', stage.conditions.beforeEntry), ...conditionLines('on success', stage.conditions.onSuccess), ...conditionLines('on failure', stage.conditions.onFailure)];
  return [...facts, ...conditions.map((c): [number, string] => [0, c])];
}

function stagesLines(report: PlanReport): string[] {
  const { stages } = report.promotion;
  const width = Math.max(...stages.map((s) => s.name.length));
  return stages.flatMap((stage, i) =>
    stageFacts(stage, report.bakes, report.entryChecks).flatMap(([depth, text], j) => {
      const lead = j === 0 ? `  ${i + 1}. ${stage.name.padEnd(width)}  ` : ' '.repeat(5 + width + 2);
      return hanging(`${lead}${'  '.repeat(depth)}`, text);
    }),
  );
}

/** A bake: where, how long, what the gate waits for after it, and what a rejection does. */
function bakeText(bake: PlanBake, stage: PlanStage | undefined): string {
  const rollsBack = stage?.conditions.onFailure.some((c) => c.result === 'ROLLBACK' && c.rules.length === 0);
  const outcome = bake.promotesTo
    ? `then ${bake.promotesTo}; a rejection stops the build`
    : `a rejection fails ${bake.stage}${rollsBack ? ', which rolls it back to the last successful release (on failure: ROLLBACK)' : ' (no rollback on failure)'}`;
  const upstream = bake.upstream ? `; a ${bake.upstream.environment} ALARM while ${bake.upstream.environment} still ran the build (from ${bake.upstream.approval}) rejects too` : '';
  return `${minutes(bake.minutes)} in ${bake.stage} (approval ${bake.action}) + ${minutes(bake.alarmLatencyMinutes)} alarm latency, owned by the bake gate; ${outcome}${upstream}`;
}

function gatesLines(report: PlanReport, prodStage: string): string[] {
  const { promotion } = report;
  return [
    ...(report.bakes.length === 0 ? ['  bake:        none in this pipeline'] : []),
    ...report.bakes.flatMap((bake) => [
      ...hanging(`  ${`${bake.environment} bake:`.padEnd(12)} `, bakeText(bake, promotion.stages.find((st) => st.name === bake.stage))),
      ...hanging('               evidence: ', evidenceLine(bake.evidence)),
    ]),
    ...report.entryChecks.flatMap((check) =>
      hanging(
        '  entry check: ',
        `${check.stage} (approval ${check.action}, beside Prepare), owned by the bake gate; the build deploys only if ${check.upstreamEnvironment} stayed clean since its bake and ${check.environment} is healthy, the calendar open and nothing halted; no wait when all is clear`,
      ),
    ),
    ...hanging('  halt flag:   ', `${report.gates.haltFlag} (tollgate stop / resume)`),
    ...hanging('  calendar:    ', `${report.gates.calendar} (before ${prodStage}, with ${minutes(report.lateStartMarginMinutes)} of the window left: prod deploy + prod bake + alarm latency)`),
  ];
}

/** A worst-case exposure in a line: what a bad build reaches through one kind of deployment, and where. */
function exposureText(kind: string, figure: ExposureFigure<DeploymentExposure>, prodStage: string): string {
  if ('unavailable' in figure) return `${kind}: unknown (${figure.unavailable})`;
  return `${kind}: a bad build in ${prodStage} reaches ${figure.description}, ${figure.constructPath} in ${figure.stackName}`;
}

/** A release's estimated cost, what makes it up and the prices it is computed with. */
function costText({ cost, prices, notCounted }: PlanReport['cost']): string {
  const left = notCounted.length > 0 ? `; not counted: ${notCounted.join('; ')}` : '';
  return `~${formatDollars(cost.dollars)} a release: ${describeCostItems(cost.items)}${left} (${prices})`;
}

/** The whole plan as text, at most {@link WIDTH} columns a line. */
export function planPicture(report: PlanReport, prodStage: string): string[] {
  const { promotion, exposure, serviceExposure } = report;
  const source = promotion.source ? `, source ${promotion.source.repository} branch ${promotion.source.branch}` : '';
  return [
    ...hanging('', `Promotion plan of pipeline ${promotion.pipelineName} (stack ${promotion.pipelineStack}${source}, execution mode ${promotion.executionMode ?? '?'})`),
    '',
    ...headline(report),
    ...hanging('  worst case    ', exposureText('Lambda', exposure, prodStage)),
    ...hanging('                ', exposureText('ECS', serviceExposure, prodStage)),
    ...hanging('  cost          ', costText(report.cost)),
    '',
    'Stages',
    ...stagesLines(report),
    '',
    'Gates',
    ...gatesLines(report, prodStage),
  ];
}
