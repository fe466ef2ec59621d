/** The release calendar as `plan` shows it: its settings, and the first time the bake gate would let a build into prod. */
import { TollgateConfig } from '../../cdk/config';
import { describeOpeningHours, evaluateCalendar } from '@tollgate/constructs/lib/domain/release-calendar';

/** The calendar's settings in one line: days and hours, holidays, planned freezes. */
export function calendarSettings(config: TollgateConfig): string {
  const { holidays, freezes } = config.calendar;
  const planned = freezes.length > 0 ? `; planned freezes: ${freezes.map((f) => `${f.name} ${f.start} to ${f.end}`).join(', ')}` : '';
  return `${describeOpeningHours(config.calendar)}, closed on public holidays of ${holidays.country}${holidays.region ? `-${holidays.region}` : ''}${planned}`;
}

/** When the gate would first let a build into prod at or after an instant, and why not earlier. */
export interface CalendarOpening {
  readonly at: Date;
  readonly reasons: string[];
}

/**
 * The first instant at or after `at` at which the calendar is open with at least `marginMinutes` of the window
 * left, as the bake gate requires before it lets a build into prod; `undefined` when there is none within a
 * year. Run-time freezes are not known offline and not counted.
 */
export function nextCalendarOpening(config: TollgateConfig, at: Date, marginMinutes: number): CalendarOpening | undefined {
  const reasons: string[] = [];
  let t = at;
  // Each turn moves to the next window; a year holds at most a few hundred.
  for (let turn = 0; turn < 400; turn++) {
    const verdict = evaluateCalendar(config.calendar, t);
    if (verdict.open) {
      const closes = verdict.closesAt ? Date.parse(verdict.closesAt) : Number.POSITIVE_INFINITY;
      if (closes - t.getTime() >= marginMinutes * 60_000) return { at: t, reasons };
      if (reasons.length === 0) reasons.push(`too late to start prod: the window closes at ${verdict.closesAt} and prod deploy + bake take ${marginMinutes} min`);
      t = new Date(closes);
      continue;
    }
    if (reasons.length === 0) reasons.push(...verdict.reasons);
    if (!verdict.nextOpen) return undefined;
    t = new Date(verdict.nextOpen);
  }
  return undefined;
}
