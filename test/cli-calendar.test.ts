/** How `plan` and `status` ask the release calendar what the bake gate will do. */
import { lateStartMarginMinutes } from '../cdk/bake-config';
import { loadConfig } from '../cdk/config';
import { evaluateCalendar } from '@tollgate/constructs/lib/domain/release-calendar';
import { nextCalendarOpening } from '../cli/plan/calendar';

const config = loadConfig();
const margin = lateStartMarginMinutes(config.bake);

test('the late-start margin is the gate\'s: prod deploy plus prod bake plus the alarm latency after it', () => {
  expect(margin).toBe(config.bake.prodDeployMinutes + config.bake.prodBakeMinutes + config.bake.alarmLatencyMinutes);
  expect(margin).toBe(20 + 30 + 3);
});

test('open with enough of the window left: now', () => {
  // Tuesday 10:00 in New York.
  expect(nextCalendarOpening(config, new Date('2026-11-24T15:00:00Z'), margin)).toEqual({ at: new Date('2026-11-24T15:00:00Z'), reasons: [] });
});

test('a Sunday waits for Monday 09:00 New York', () => {
  expect(nextCalendarOpening(config, new Date('2026-11-22T11:55:00Z'), margin)).toEqual({ at: new Date('2026-11-23T14:00:00Z'), reasons: ['Sunday'] });
});

test('too late on the Wednesday before Thanksgiving: not Thursday (holiday), not Friday, but Monday', () => {
  const opening = nextCalendarOpening(config, new Date('2026-11-25T20:30:00Z'), margin);
  expect(opening?.at).toEqual(new Date('2026-11-30T14:00:00Z'));
  expect(opening?.reasons).toEqual([`too late to start prod: the window closes at 2026-11-25T16:00:00-05:00 and prod deploy + bake take ${margin} min`]);
});

test('run-time freezes count for status', () => {
  const freeze = { name: 'year-end', reason: 'holidays', by: 'arn:aws:iam::111111111111:user/a', at: '2026-11-01T00:00:00Z', start: '2026-11-20T00:00:00Z', end: '2027-01-04T14:00:00Z' };
  expect(evaluateCalendar(config.calendar, new Date('2026-11-24T15:00:00Z'), [freeze])).toEqual({
    open: false,
    reasons: ['freeze: year-end until 2027-01-04T09:00:00-05:00'],
    nextOpen: '2027-01-04T09:00:00-05:00',
  });
});
