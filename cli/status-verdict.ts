/**
 * What `tollgate status` answers first: one verdict line (is anything reaching prod, and if not, why), then the
 * details, decided purely from the facts `status` gathered and the clock.
 */
import { duration } from '@tollgate/constructs/lib/domain/duration';
import type { StatusFacts } from './commands/status';

/** How long the gate may go without a completed check: its heartbeat alarm's five minutes. */
export const GATE_STALL_MINUTES = 5;

export interface StatusVerdict {
  /** One line, the most pressing fact: `releases flowing`, `HALTED by … since …: …`, `build … baking in Dev: 23 min left`. */
  readonly verdict: string;
  /** The other facts on-call should know, most pressing first. */
  readonly details: string[];
}

const shortName = (arn: string) => arn.split('/').pop() || arn;
const commitOf = (commit: string | undefined) => `build ${commit ? commit.slice(0, 7) : 'of unknown commit'}`;

/** `Mon 09:00` in `timezone` (with the date when it is a week or more away), e.g. for when the calendar opens. */
export function localMoment(iso: string, timezone: string, now: Date): string {
  const at = new Date(Date.parse(iso));
  const far = at.getTime() - now.getTime() >= 6 * 86_400_000;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    weekday: 'short',
    ...(far ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const date = far ? ` ${part('year')}-${part('month')}-${part('day')}` : '';
  return `${part('weekday')}${date} ${part('hour')}:${part('minute')}`;
}

/** Minutes since `iso`, rounded down. */
const minutesSince = (iso: string, now: Date) => Math.floor((now.getTime() - Date.parse(iso)) / 60_000);

/** The verdict and details of `facts` at `now`; every line is one finding, the first is the verdict. */
export function statusVerdict(facts: StatusFacts, now: Date): StatusVerdict {
  const findings: string[] = [];
  const { gates, calendarTimezone } = facts;
  const prodStage = facts.stages.find((s) => s.name === facts.prodStageName);

  if (prodStage?.executionType === 'ROLLBACK' && prodStage.status === 'InProgress') {
    findings.push(`prod rolling back${facts.prod.lastSuccessfulRelease?.revision.commitId ? ` to ${facts.prod.lastSuccessfulRelease.revision.commitId.slice(0, 7)}` : ''}`);
  }
  for (const alarm of facts.alarms.filter((a) => a.state === 'ALARM')) findings.push(`${alarm.name} in ALARM (account ${alarm.account})`);

  const halt = gates.halt;
  if (halt.state === 'set' && halt.value.halted) findings.push(`HALTED by ${shortName(halt.value.by)} since ${halt.value.at}: ${halt.value.reason}`);
  if (halt.state === 'unreadable') findings.push(`HALTED: the halt flag is unreadable and the gate promotes nothing (${halt.error})`);
  for (const t of facts.disabledTransitions) findings.push(`HALTED: the transition into ${t.stage} is disabled by ${shortName(t.by ?? '?')} since ${t.at ?? '?'}: ${t.reason ?? ''}`);

  const pending = facts.bake.length + facts.entryChecks.length;
  const health = facts.gateHealth;
  if ('error' in health) findings.push(`bake gate health UNKNOWN: ${health.error}`);
  else if (!health.lastCheckAt) {
    if (pending > 0) findings.push('bake gate STALLED: no check on record');
  } else if (minutesSince(health.lastCheckAt, now) > GATE_STALL_MINUTES) {
    findings.push(`bake gate STALLED: no check for ${duration(now.getTime() - Date.parse(health.lastCheckAt))}`);
  }

  const calendar = gates.calendar;
  const closed = 'error' in calendar ? undefined : calendar.open ? undefined : calendar;
  const calendarLine = closed
    ? `calendar closed ${closed.nextOpen ? `until ${localMoment(closed.nextOpen, calendarTimezone, now)} (${calendarTimezone})` : 'for more than a year'}`
    : undefined;

  for (const check of facts.entryChecks) {
    findings.push(`held at ${check.stage}'s entry check: ${commitOf(check.commit)}: ${check.waiting?.summary ?? check.gateSummary ?? 'waiting for the gate'}`);
  }
  const bakes = [...facts.bake].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'prod bake' ? -1 : 1));
  for (const b of bakes) {
    const where = b.kind === 'prod bake' ? 'in the prod bake' : `baking in ${b.stage}`;
    const why = b.waiting?.summary ?? b.gateSummary;
    if (b.minutesLeft === undefined) findings.push(`${commitOf(b.commit)} ${where}: start unknown`);
    else if (b.minutesLeft > 0) findings.push(`${commitOf(b.commit)} ${where}: ${duration(b.minutesLeft * 60_000)} left${b.waiting ? ` (gate: ${b.waiting.summary})` : ''}`);
    else if (b.kind === 'dev bake' && calendarLine) findings.push(`held: ${calendarLine}; ${commitOf(b.commit)} baked in ${b.stage}`);
    else findings.push(`${commitOf(b.commit)} ${b.kind === 'prod bake' ? 'finished the prod bake' : `baked in ${b.stage}`}, waiting for the gate${why ? `: ${why}` : ` (it approves from ${b.earliestApprovalAt})`}`);
  }
  for (const s of facts.stages.filter((st) => st.status === 'InProgress' && st.executionType !== 'ROLLBACK')) {
    if (!facts.bake.some((b) => b.stage === s.name) && !facts.entryChecks.some((c) => c.stage === s.name)) {
      findings.push(`${commitOf(s.revision?.commitId)} deploying to ${s.name}`);
    }
  }
  if (prodStage?.status === 'Failed') findings.push(`${facts.prodStageName}'s last run FAILED (${prodStage.executionId ?? 'unknown execution'})`);

  if (halt.state === 'error') findings.push(`halt flag UNKNOWN: ${halt.error}`);
  if (gates.freezesError) findings.push(`freezes UNREADABLE: ${gates.freezesError}`);
  if ('error' in calendar) findings.push(`calendar UNKNOWN: ${calendar.error}`);
  else if (calendarLine && !findings.some((f) => f.includes(calendarLine))) findings.push(calendarLine);
  for (const alarm of facts.alarms.filter((a) => a.state === undefined)) findings.push(`${alarm.name} unknown: ${alarm.note ?? 'not read'}`);

  const [verdict = 'releases flowing', ...details] = findings;
  return { verdict, details };
}
