/**
 * The release calendar: may prod be released to at a given instant, why not, and when next?
 *
 * The one implementation behind both the bake gate (which adds its own late-start margin) and
 * `tollgate window`. Pure: settings, an instant and on-call's run-time freezes in, a verdict out.
 * Public holidays come from `date-holidays`; local-time arithmetic, daylight-saving changes included, from the
 * Temporal API (`temporal-polyfill` until Node ships it).
 */
import Holidays, { HolidaysTypes } from 'date-holidays';
import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';
import { Freeze } from './pipeline-controls';
import { nonEmptyString, parseWithSchema } from './schema';

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** Whose public holidays close the calendar. */
export interface HolidayCalendar {
  /** Country code as `date-holidays` knows it (ISO 3166-1 alpha-2), e.g. `US`. */
  readonly country: string;
  /**
   * Subdivision code as `date-holidays` knows it (its "state", the ISO 3166-2 suffix), e.g. `NY`.
   * @default - national holidays only
   */
  readonly region?: string;
}

/** A freeze planned in configuration, e.g. the year-end freeze. */
export interface FreezePeriod {
  /** Short name shown in reasons, e.g. `year-end`. */
  readonly name: string;
  /** ISO-8601 instant with offset at which the freeze starts. */
  readonly start: string;
  /** ISO-8601 instant with offset at which the freeze ends (releases may go from then on). */
  readonly end: string;
  /** Why; shown to people, not in reasons. */
  readonly reason?: string;
}

/** The daily window, in local time of the calendar's time zone. */
export interface OpeningHours {
  /**
   * `HH:MM` at which the window opens on every allowed day.
   * @default '09:00'
   */
  readonly start: string;
  /**
   * `HH:MM` (up to `24:00`) at which the window closes; later than `start`.
   * @default '16:00'
   */
  readonly end: string;
}

/** When prod may be released to. */
export interface CalendarSettings {
  /**
   * IANA time zone in which weekdays, hours and holidays are read.
   * @default 'America/New_York'
   */
  readonly timezone: string;
  /**
   * Days on which the window opens, in ascending order.
   * @default [1, 2, 3, 4] (Monday to Thursday)
   */
  readonly weekdays: readonly IsoWeekday[];
  /** @default 09:00–16:00 */
  readonly hours: OpeningHours;
  /**
   * Public holidays (date-holidays type `public` only) close the whole holiday, as date-holidays bounds it.
   * @default { country: 'US' }
   */
  readonly holidays: HolidayCalendar;
  /**
   * Planned freezes; on-call's run-time freezes come on top (see `pipeline-controls.ts`).
   * @default []
   */
  readonly freezes: readonly FreezePeriod[];
}

/** The answer to "may prod be released to at this instant?". Instants are ISO-8601 with the zone's offset. */
export interface CalendarVerdict {
  readonly open: boolean;
  /** Why the calendar is closed, e.g. `holiday: Thanksgiving Day (US)`; empty when open. */
  readonly reasons: string[];
  /** When closed: the next instant at which it is open (absent when none within a year). */
  readonly nextOpen?: string;
  /** When open: when this window closes. */
  readonly closesAt?: string;
}

export const DEFAULT_CALENDAR_SETTINGS: CalendarSettings = {
  timezone: 'America/New_York',
  weekdays: [1, 2, 3, 4],
  hours: { start: '09:00', end: '16:00' },
  holidays: { country: 'US' },
  freezes: [],
};

/**
 * Which date-holidays types close the calendar. `public` is a day off by law; `bank` (banks closed), `optional`
 * (not everyone is off), `school` and `observance` (a named day, work as usual) leave it open.
 */
const HOLIDAY_TYPES: HolidaysTypes.HolidayType[] = ['public'];

/** How far ahead `nextOpen` looks before giving up. */
const SEARCH_DAYS = 366;

const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;
const COUNTRY = 'must be a country code date-holidays knows, like "US" or "DE"';
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

// ---------------------------------------------------------------------------------------------------------------
// Configuration

const TIMEZONE = 'must be an IANA time zone like "America/New_York"';
const WEEKDAYS = 'must list at least one ISO weekday (1 = Monday … 7 = Sunday)';
const WEEKDAY = 'must be an ISO weekday from 1 (Monday) to 7 (Sunday)';
const START = 'must be a local time HH:MM from 00:00 to 23:59';
const END = 'must be a local time HH:MM from 00:01 to 24:00';
const FREEZE_TIME = 'must be an ISO-8601 date (2026-12-18), local time (2026-12-18T16:00) or instant (2026-12-18T21:00:00Z)';

/** Offsets such as "+05:00" are valid for Intl but have no daylight-saving rules: not what a team lives in. */
function isTimezone(value: string): boolean {
  if (!/^[A-Za-z]/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const hoursSchema = z
  .strictObject({
    start: z.string({ error: START }).regex(HH_MM, START).default(DEFAULT_CALENDAR_SETTINGS.hours.start),
    end: z
      .string({ error: END })
      .refine((end) => HH_MM.test(end) || end === '24:00', END)
      .default(DEFAULT_CALENDAR_SETTINGS.hours.end),
  })
  .superRefine(({ start, end }, ctx) => {
    if (end <= start) ctx.addIssue({ code: 'custom', path: ['end'], input: end, message: `must be later than calendar.hours.start (${start})` });
  });

const holidaysSchema = z
  .strictObject({
    country: z
      .string({ error: COUNTRY })
      .refine((country) => Object.hasOwn(new Holidays().getCountries(), country), COUNTRY)
      .default(DEFAULT_CALENDAR_SETTINGS.holidays.country),
    region: z.string().optional(),
  })
  .superRefine(({ country, region }, ctx) => {
    if (region === undefined) return;
    const regions = Object.keys(new Holidays().getStates(country) ?? {});
    if (regions.includes(region)) return;
    const message = regions.length === 0 ? `cannot be set: date-holidays knows no regions of ${country}`
      : `must be a region of ${country} that date-holidays knows, like "${regions[0]}"`;
    ctx.addIssue({ code: 'custom', path: ['region'], input: region, message });
  });

const freezeSchema = z.strictObject({
  name: nonEmptyString,
  /** ISO-8601 date, local date-time (in the calendar's zone) or instant; a bare end date is inclusive. */
  start: z.string({ error: FREEZE_TIME }),
  end: z.string({ error: FREEZE_TIME }),
  reason: z.string().optional(),
});

/**
 * The `calendar` section of the `tollgate` context; what it leaves out takes the defaults. Freeze times are
 * resolved to instants in the calendar's zone, so the result round-trips through JSON (e.g. a Lambda environment).
 */
export const calendarSchema = z
  .strictObject({
    timezone: z.string({ error: TIMEZONE }).refine(isTimezone, TIMEZONE).default(DEFAULT_CALENDAR_SETTINGS.timezone),
    weekdays: z
      .array(z.number({ error: WEEKDAY }).int(WEEKDAY).min(1, WEEKDAY).max(7, WEEKDAY), { error: WEEKDAYS })
      .min(1, WEEKDAYS)
      .superRefine((days, ctx) => {
        days.forEach((day, i) => {
          if (days.indexOf(day) !== i) ctx.addIssue({ code: 'custom', path: [i], input: day, message: 'must not repeat a day' });
        });
      })
      .transform((days) => [...days].sort((a, b) => a - b) as IsoWeekday[])
      .default([...DEFAULT_CALENDAR_SETTINGS.weekdays]),
    hours: hoursSchema.prefault({}),
    holidays: holidaysSchema.prefault({}),
    freezes: z.array(freezeSchema, { error: 'must be a list of freezes' }).default([]),
  })
  .transform((calendar, ctx): CalendarSettings => {
    const { timezone } = calendar;
    const freezes = calendar.freezes.map((freeze, i) => {
      // A bare end date is inclusive: "until 2027-01-03" freezes all of January 3rd.
      const start = parseConfiguredTime(freeze.start, timezone, 'start');
      const end = parseConfiguredTime(freeze.end, timezone, 'end');
      const problem =
        start === undefined ? { key: 'start', message: FREEZE_TIME }
        : end === undefined ? { key: 'end', message: FREEZE_TIME }
        : end <= start ? { key: 'end', message: `must be later than its start (${formatInZone(start, timezone)})` }
        : undefined;
      if (problem) {
        const key = problem.key as 'start' | 'end';
        ctx.addIssue({ code: 'custom', path: ['freezes', i, key], input: freeze[key], message: problem.message });
        return freeze;
      }
      return { ...freeze, start: formatInZone(start!, timezone), end: formatInZone(end!, timezone) };
    });
    return { ...calendar, freezes };
  });

function parseConfiguredTime(text: string, timezone: string, edge: 'start' | 'end'): number | undefined {
  if (!DATE.test(text)) return parseTimeInZone(text, timezone);
  try {
    const date = Temporal.PlainDate.from(text);
    return (edge === 'start' ? date : date.add({ days: 1 })).toZonedDateTime(timezone).epochMilliseconds;
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates the calendar settings on their own, as the gate does at cold start.
 *
 * @throws ConfigError naming the first `calendar.*` field that is wrong.
 */
export function parseCalendarSettings(raw: unknown): CalendarSettings {
  return parseWithSchema(calendarSchema, raw ?? {}, 'calendar');
}

// ---------------------------------------------------------------------------------------------------------------
// Times

/**
 * Reads an ISO-8601 instant with an offset (`2026-11-27T08:59:00-05:00`, `…Z`), or a local date-time without one
 * (`2026-11-27T08:59`), which is read in `timezone`. Returns epoch milliseconds, or undefined when it is neither.
 */
export function parseTimeInZone(text: string, timezone: string): number | undefined {
  try {
    if (INSTANT.test(text)) return Temporal.Instant.from(text).epochMilliseconds;
    if (LOCAL_DATE_TIME.test(text)) return Temporal.PlainDateTime.from(text).toZonedDateTime(timezone).epochMilliseconds;
  } catch {
    // Shaped like a time but not one (February 30th, 24:30): fall through.
  }
  return undefined;
}

/** ISO-8601 with the zone's offset at that instant, e.g. `2026-11-30T09:00:00-05:00`. */
export function formatInZone(epochMs: number, timezone: string): string {
  return Temporal.Instant.fromEpochMilliseconds(epochMs).toZonedDateTimeISO(timezone).toString({ timeZoneName: 'never' });
}

/** `Mon–Thu 09:00–16:00 America/New_York`: the opening rule in one phrase. */
export function describeOpeningHours(settings: CalendarSettings): string {
  const runs: IsoWeekday[][] = [];
  for (const day of settings.weekdays) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1] === day - 1) run.push(day);
    else runs.push([day]);
  }
  const short = (day: IsoWeekday) => WEEKDAY_NAMES[day].slice(0, 3);
  const days = runs.map((run) => (run.length === 1 ? short(run[0]) : `${short(run[0])}–${short(run[run.length - 1])}`));
  return `${days.join(', ')} ${settings.hours.start}–${settings.hours.end} ${settings.timezone}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

/** An interval during which the calendar is closed whatever the day and hour. */
interface Blocker {
  readonly start: number;
  readonly end: number;
  readonly reason: string;
}

const holidayCache = new Map<string, readonly Blocker[]>();

/** The public holidays of one year as instants in the calendar's zone; date-holidays is slow, so cached. */
function holidayBlockers(settings: CalendarSettings, year: number): readonly Blocker[] {
  const { country, region } = settings.holidays;
  const key = `${country}/${region ?? ''}/${settings.timezone}/${year}`;
  let blockers = holidayCache.get(key);
  if (!blockers) {
    const where = region ? `${country}-${region}` : country;
    const options = { types: HOLIDAY_TYPES, timezone: settings.timezone };
    const calendar = region ? new Holidays(country, region, options) : new Holidays(country, options);
    blockers = calendar.getHolidays(year).map((h) => ({ start: h.start.getTime(), end: h.end.getTime(), reason: `holiday: ${h.name} (${where})` }));
    holidayCache.set(key, blockers);
  }
  return blockers;
}

function freezeBlocker(name: string, start: string, end: string, timezone: string): Blocker {
  const startMs = Date.parse(start);
  const endMs = Date.parse(end);
  // Fail closed: a freeze nobody can read must not silently stop applying.
  if (Number.isNaN(startMs) || Number.isNaN(endMs)) throw new RangeError(`freeze ${JSON.stringify(name)} has an unreadable start or end`);
  return { start: startMs, end: endMs, reason: `freeze: ${name} until ${formatInZone(endMs, timezone)}` };
}

/** Everything that may close the calendar within the search horizon around `year`, ordered by start. */
function blockersAround(settings: CalendarSettings, year: number, runtimeFreezes: readonly Freeze[]): Blocker[] {
  return [
    ...holidayBlockers(settings, year - 1),
    ...holidayBlockers(settings, year),
    ...holidayBlockers(settings, year + 1),
    ...settings.freezes.map((f) => freezeBlocker(f.name, f.start, f.end, settings.timezone)),
    ...runtimeFreezes.map((f) => freezeBlocker(f.name, f.start ?? f.at, f.end, settings.timezone)),
  ]
    .filter((b) => b.end > b.start)
    .sort((a, b) => a.start - b.start);
}

/** The local time `HH:MM` (or `24:00`) on `date` as an instant; a time skipped by a DST change moves forward. */
function localInstant(date: Temporal.PlainDate, hhmm: string, timezone: string): number {
  if (hhmm === '24:00') return date.add({ days: 1 }).toZonedDateTime(timezone).epochMilliseconds;
  return date.toZonedDateTime({ timeZone: timezone, plainTime: hhmm }).epochMilliseconds;
}

/** The day's window as instants, or undefined on a day that is not allowed. */
function windowOn(settings: CalendarSettings, date: Temporal.PlainDate): [number, number] | undefined {
  if (!settings.weekdays.includes(date.dayOfWeek as IsoWeekday)) return undefined;
  return [localInstant(date, settings.hours.start, settings.timezone), localInstant(date, settings.hours.end, settings.timezone)];
}

/** The first instant at or after `t` that no blocker covers (blockers sorted by start, so one pass suffices). */
function skipBlockers(blockers: readonly Blocker[], t: number): number {
  let at = t;
  for (const b of blockers) if (b.start <= at && at < b.end) at = b.end;
  return at;
}

/** The start of the first blocker at or after `t`. */
function nextBlockerStart(blockers: readonly Blocker[], t: number): number {
  return blockers.find((b) => b.start >= t)?.start ?? Infinity;
}

/**
 * The first open span at or after `from`: windows minus blockers, with back-to-back windows (e.g. 00:00–24:00 on
 * consecutive days) joined. Looks {@link SEARCH_DAYS} ahead at most.
 */
function firstOpenSpan(settings: CalendarSettings, blockers: readonly Blocker[], from: number): { start: number; end: number } | undefined {
  const firstDay = Temporal.Instant.fromEpochMilliseconds(from).toZonedDateTimeISO(settings.timezone).toPlainDate();
  let span: { start: number; end: number } | undefined;
  for (let i = 0; i <= SEARCH_DAYS; i++) {
    const window = windowOn(settings, firstDay.add({ days: i }));
    if (span) {
      if (!window || window[0] !== span.end) break;
      span.end = Math.min(window[1], nextBlockerStart(blockers, span.end));
      if (span.end < window[1]) break;
    } else if (window) {
      const start = skipBlockers(blockers, Math.max(from, window[0]));
      if (start >= window[1]) continue;
      span = { start, end: Math.min(window[1], nextBlockerStart(blockers, start)) };
      if (span.end < window[1]) break;
    }
  }
  return span;
}

/**
 * Is the calendar open at `at`? Closed on days that are not allowed, outside the hours, on public holidays and
 * during configured or run-time freezes; says why, and when it next opens (or, when open, when it closes).
 *
 * @param runtimeFreezes on-call's freezes from SSM (see `pipeline-controls.ts`); a freeze without a start is in
 *   force from when it was declared.
 * @throws RangeError when `at` is not a valid time or a freeze has an unreadable start or end.
 */
export function evaluateCalendar(settings: CalendarSettings, at: Date, runtimeFreezes: readonly Freeze[] = []): CalendarVerdict {
  const t = at.getTime();
  if (Number.isNaN(t)) throw new RangeError('evaluateCalendar: "at" is not a valid time');
  const local = Temporal.Instant.fromEpochMilliseconds(t).toZonedDateTimeISO(settings.timezone);
  const blockers = blockersAround(settings, local.year, runtimeFreezes);

  const reasons: string[] = [];
  const window = windowOn(settings, local.toPlainDate());
  if (!window) reasons.push(WEEKDAY_NAMES[local.dayOfWeek]);
  else if (t < window[0] || t >= window[1]) reasons.push(`outside ${describeOpeningHours(settings)}`);
  for (const b of blockers) if (b.start <= t && t < b.end) reasons.push(b.reason);

  const span = firstOpenSpan(settings, blockers, t);
  if (reasons.length === 0 && span) return { open: true, reasons, closesAt: formatInZone(span.end, settings.timezone) };
  if (!span) return { open: false, reasons: [...reasons, 'no opening within a year'] };
  return { open: false, reasons, nextOpen: formatInZone(span.start, settings.timezone) };
}
