/** `plan --mermaid`: the earliest path as a Mermaid gantt chart, one section per stage, in the calendar's local time. */
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { formatInZone } from '@tollgate/constructs/lib/domain/release-calendar';
import type { PlanReport } from '../commands/plan';
import { localMoment } from '../status-verdict';
import type { TimelineStep } from './timeline';

/** A task's name: the step and how long it takes; Mermaid reads `:` and `;` as syntax, `#` as a comment. */
function taskName(step: TimelineStep): string {
  const takes = duration(step.minutes * 60_000);
  const name = {
    build: `build ~${takes}`,
    deploy: `deploy ${step.what} ~${takes}`,
    guard: `guard ${step.what} ~${takes}`,
    tests: `${step.what} ~${takes}`,
    traffic: `traffic shift ${takes}`,
    bake: `${step.what} ${takes}`,
    'alarm latency': `alarm latency ${takes}`,
    calendar: `calendar wait ${takes}`,
    'entry check': 'entry check',
  }[step.kind];
  return name.replace(/[:;#]/g, ' ');
}

const TAGS: Partial<Record<TimelineStep['kind'], string>> = { bake: 'active, ', calendar: 'crit, ', 'entry check': 'milestone, ' };

/** The plan's earliest path as the lines of a Mermaid `gantt` chart (without the code fence). */
export function planMermaid(report: PlanReport): string[] {
  const { timeline, calendarTimezone: zone } = report;
  const local = (iso: string) => formatInZone(Date.parse(iso), zone).slice(0, 16).replace('T', ' ');
  const lines = [
    'gantt',
    `  title ${report.promotion.pipelineName}, earliest path of a commit pushed ${localMoment(timeline.pushedAt, zone, new Date(Date.parse(timeline.pushedAt)))} (${zone})`,
    '  dateFormat YYYY-MM-DD HH:mm',
    '  axisFormat %a %H:%M',
  ];
  timeline.steps.forEach((step, i) => {
    if (i === 0 || timeline.steps[i - 1].stage !== step.stage) lines.push(`  section ${step.stage}`);
    lines.push(`  ${taskName(step)} :${TAGS[step.kind] ?? ''}${local(step.startsAt)}, ${step.kind === 'entry check' ? '0m' : local(step.endsAt)}`);
  });
  if (timeline.releasedAt) lines.push(`  released :milestone, ${local(timeline.releasedAt)}, 0m`);
  return lines;
}
