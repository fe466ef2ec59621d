/**
 * Time of one `evaluateCalendar` call, as the gate makes on every reconcile and the CLI once per question:
 * cold (holidays not yet computed), open, closed with the next opening past a holiday weekend, across the
 * holiday-heavy year end, and the worst case (a freeze outlasting the one-year search).
 */
import { CalendarSettings, DEFAULT_CALENDAR_SETTINGS, evaluateCalendar, parseCalendarSettings } from '@tollgate/constructs/lib/domain/release-calendar';

function time(label: string, settings: CalendarSettings, iso: string, iterations: number): void {
  const at = new Date(iso);
  const verdict = evaluateCalendar(settings, at); // warm-up, and what the case answers
  for (let i = 0; i < Math.min(iterations, 200); i++) evaluateCalendar(settings, at);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) evaluateCalendar(settings, at);
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / iterations;
  const answer = verdict.open ? `open, closes ${verdict.closesAt}` : `closed, next ${verdict.nextOpen ?? 'none within a year'}`;
  console.log(`${label.padEnd(44)} ${micros.toFixed(1).padStart(8)} µs/call ${Math.round(1e6 / micros).toString().padStart(8)} ops/s  (${answer})`);
}

const coldStart = process.hrtime.bigint();
evaluateCalendar(DEFAULT_CALENDAR_SETTINGS, new Date('2026-11-24T10:00:00-05:00'));
console.log(`${'cold first call (date-holidays, 3 years)'.padEnd(44)} ${(Number(process.hrtime.bigint() - coldStart) / 1e3).toFixed(1).padStart(8)} µs`);

time('open (Tuesday 10:00)', DEFAULT_CALENDAR_SETTINGS, '2026-11-24T10:00:00-05:00', 5000);
time('closed: Thanksgiving → Monday', DEFAULT_CALENDAR_SETTINGS, '2026-11-26T10:00:00-05:00', 5000);
const monToFri = parseCalendarSettings({ weekdays: [1, 2, 3, 4, 5], holidays: { country: 'US', region: 'NY' } });
time('closed: Christmas Eve evening → Dec 28 (NY)', monToFri, '2026-12-24T17:00:00-05:00', 5000);
const yearEnd = parseCalendarSettings({ freezes: [{ name: 'year-end', start: '2026-12-18', end: '2027-01-04T09:00' }] });
time('closed: year-end freeze → Jan 4', yearEnd, '2026-12-18T10:00:00-05:00', 5000);
const endless = parseCalendarSettings({ freezes: [{ name: 'migration', start: '2026-01-01', end: '2028-06-30' }] });
time('worst case: 366-day search, no opening', endless, '2026-11-24T10:00:00-05:00', 200);
