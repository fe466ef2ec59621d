import { ConfigError, loadConfig } from '../cdk/config';
import {
  CalendarSettings,
  DEFAULT_CALENDAR_SETTINGS,
  describeOpeningHours,
  evaluateCalendar,
  parseCalendarSettings,
  parseTimeInZone,
} from '@tollgate/constructs/lib/domain/release-calendar';
import { Freeze } from '@tollgate/constructs/lib/domain/pipeline-controls';

const at = (iso: string) => new Date(iso);
const evaluate = (iso: string, settings: CalendarSettings = DEFAULT_CALENDAR_SETTINGS, freezes: Freeze[] = []) =>
  evaluateCalendar(settings, at(iso), freezes);
const settings = (raw: object) => parseCalendarSettings(raw);
const HOURS = 'outside Mon–Thu 09:00–16:00 America/New_York';

describe('defaults', () => {
  test('New York, US holidays, Monday to Thursday 09:00–16:00, no freezes', () => {
    expect(DEFAULT_CALENDAR_SETTINGS).toEqual({
      timezone: 'America/New_York',
      weekdays: [1, 2, 3, 4],
      hours: { start: '09:00', end: '16:00' },
      holidays: { country: 'US' },
      freezes: [],
    });
    expect(parseCalendarSettings(undefined)).toEqual(DEFAULT_CALENDAR_SETTINGS);
  });

  test('loadConfig always carries a calendar, the defaults unless configured', () => {
    expect(loadConfig({}).calendar).toEqual(DEFAULT_CALENDAR_SETTINGS);
    expect(loadConfig({ context: { calendar: { timezone: 'Europe/Berlin', holidays: { country: 'DE', region: 'BY' } } } }).calendar).toEqual({
      ...DEFAULT_CALENDAR_SETTINGS,
      timezone: 'Europe/Berlin',
      holidays: { country: 'DE', region: 'BY' },
    });
    // `-c tollgate='{...}'` arrives as a string.
    expect(loadConfig({ context: JSON.stringify({ calendar: { weekdays: [1, 2, 3, 4, 5] } }) }).calendar.weekdays).toEqual([1, 2, 3, 4, 5]);
  });

  test('the opening rule reads as one phrase', () => {
    expect(describeOpeningHours(DEFAULT_CALENDAR_SETTINGS)).toBe('Mon–Thu 09:00–16:00 America/New_York');
    expect(describeOpeningHours(settings({ weekdays: [5, 1, 2, 3], hours: { start: '10:30', end: '24:00' } }))).toBe(
      'Mon–Wed, Fri 10:30–24:00 America/New_York',
    );
    expect(describeOpeningHours(settings({ weekdays: [1, 3, 7], timezone: 'Asia/Tokyo' }))).toBe('Mon, Wed, Sun 09:00–16:00 Asia/Tokyo');
  });
});

describe('days and hours', () => {
  test('Thursday 15:59 is open and closes at 16:00; Friday 08:59 is closed until Monday 09:00', () => {
    expect(evaluate('2026-11-19T15:59:00-05:00')).toEqual({ open: true, reasons: [], closesAt: '2026-11-19T16:00:00-05:00' });
    expect(evaluate('2026-11-20T08:59:00-05:00')).toEqual({ open: false, reasons: ['Friday'], nextOpen: '2026-11-23T09:00:00-05:00' });
  });

  test('the window is half-open: 09:00 is in, 16:00 is out', () => {
    expect(evaluate('2026-11-23T08:59:59.999-05:00')).toEqual({ open: false, reasons: [HOURS], nextOpen: '2026-11-23T09:00:00-05:00' });
    expect(evaluate('2026-11-23T09:00:00-05:00').open).toBe(true);
    expect(evaluate('2026-11-19T16:00:00-05:00')).toEqual({ open: false, reasons: [HOURS], nextOpen: '2026-11-23T09:00:00-05:00' });
  });

  test('weekend days are named; the instant is read in the calendar zone, not UTC', () => {
    // Thursday 20:00 in New York is already Friday in UTC: still a Thursday evening for the calendar.
    expect(evaluate('2026-11-20T01:00:00Z')).toEqual({ open: false, reasons: [HOURS], nextOpen: '2026-11-23T09:00:00-05:00' });
    expect(evaluate('2026-11-21T12:00:00-05:00').reasons).toEqual(['Saturday']);
    expect(evaluate('2026-11-22T12:00:00-05:00').reasons).toEqual(['Sunday']);
  });

  test('a calendar open around the clock closes only at the next holiday', () => {
    const always = settings({ weekdays: [1, 2, 3, 4, 5, 6, 7], hours: { start: '00:00', end: '24:00' } });
    expect(evaluate('2026-11-21T12:00:00-05:00', always)).toEqual({ open: true, reasons: [], closesAt: '2026-11-26T00:00:00-05:00' });
  });
});

describe('public holidays', () => {
  test('a holiday on a Thursday closes the whole day; the next opening skips the holiday weekend', () => {
    expect(evaluate('2026-11-26T10:00:00-05:00')).toEqual({
      open: false,
      reasons: ['holiday: Thanksgiving Day (US)'],
      nextOpen: '2026-11-30T09:00:00-05:00',
    });
    expect(evaluate('2026-11-26T20:00:00-05:00').reasons).toEqual([HOURS, 'holiday: Thanksgiving Day (US)']);
    // The day before is a normal day.
    expect(evaluate('2026-11-25T15:00:00-05:00')).toEqual({ open: true, reasons: [], closesAt: '2026-11-25T16:00:00-05:00' });
  });

  test('next opening across a holiday weekend: Friday before Labor Day waits for Tuesday', () => {
    expect(evaluate('2026-09-04T11:00:00-04:00')).toEqual({ open: false, reasons: ['Friday'], nextOpen: '2026-09-08T09:00:00-04:00' });
    expect(evaluate('2026-09-07T11:00:00-04:00').reasons).toEqual(['holiday: Labor Day (US)']);
  });

  test('a holiday on a weekend is observed on the weekday date-holidays names', () => {
    // July 4th 2026 is a Saturday: date-holidays observes it on Friday July 3rd (a "substitute day").
    const monToFri = settings({ weekdays: [1, 2, 3, 4, 5] });
    expect(evaluate('2026-07-03T10:00:00-04:00', monToFri)).toEqual({
      open: false,
      reasons: ['holiday: Independence Day (substitute day) (US)'],
      nextOpen: '2026-07-06T09:00:00-04:00',
    });
    expect(evaluate('2026-07-03T10:00:00-04:00').reasons).toEqual(['Friday', 'holiday: Independence Day (substitute day) (US)']);
    expect(evaluate('2026-07-04T10:00:00-04:00').reasons).toEqual(['Saturday', 'holiday: Independence Day (US)']);
    // July 4th 2027 is a Sunday: observed on Monday July 5th, which the default calendar would otherwise open.
    expect(evaluate('2027-07-05T10:00:00-04:00')).toEqual({
      open: false,
      reasons: ['holiday: Independence Day (substitute day) (US)'],
      nextOpen: '2027-07-06T09:00:00-04:00',
    });
  });

  test('only public holidays count: observances and optional days leave the calendar open', () => {
    // Christmas Eve (optional in the US) on a Thursday, and the day after Thanksgiving (an observance) on a Friday.
    expect(evaluate('2026-12-24T10:00:00-05:00').open).toBe(true);
    expect(evaluate('2026-11-27T10:00:00-05:00', settings({ weekdays: [1, 2, 3, 4, 5] })).open).toBe(true);
  });

  test('a region adds its own public holidays', () => {
    // Lincoln's Birthday, Thursday 2026-02-12, is public in New York but not nationally.
    expect(evaluate('2026-02-12T10:00:00-05:00').open).toBe(true);
    expect(evaluate('2026-02-12T10:00:00-05:00', settings({ holidays: { country: 'US', region: 'NY' } }))).toEqual({
      open: false,
      reasons: ["holiday: Lincoln's Birthday (US-NY)"],
      nextOpen: '2026-02-17T09:00:00-05:00', // Monday the 16th is Washington's Birthday
    });
  });

  test('another country’s holidays are read in the configured zone', () => {
    const berlin = settings({ timezone: 'Europe/Berlin', holidays: { country: 'DE' } });
    // Good Friday and Easter Monday 2026: from Thursday evening the next opening is Tuesday.
    expect(evaluate('2026-04-02T17:00:00+02:00', berlin)).toEqual({
      open: false,
      reasons: ['outside Mon–Thu 09:00–16:00 Europe/Berlin'],
      nextOpen: '2026-04-07T09:00:00+02:00',
    });
    expect(evaluate('2026-04-06T10:00:00+02:00', berlin).reasons).toEqual(['holiday: Ostermontag (DE)']);
  });
});

describe('daylight-saving changes', () => {
  test('spring forward in New York: the next opening carries the new offset', () => {
    // Clocks go from 02:00 EST to 03:00 EDT on Sunday 2026-03-08.
    expect(evaluate('2026-03-06T10:00:00-05:00').nextOpen).toBe('2026-03-09T09:00:00-04:00');
    // The window follows local time: 13:30Z is 08:30 in winter and 09:30 in summer.
    expect(evaluate('2026-03-02T13:30:00Z')).toMatchObject({ open: false, reasons: [HOURS], nextOpen: '2026-03-02T09:00:00-05:00' });
    expect(evaluate('2026-03-09T13:30:00Z')).toEqual({ open: true, reasons: [], closesAt: '2026-03-09T16:00:00-04:00' });
  });

  test('fall back in New York', () => {
    // Clocks go from 02:00 EDT back to 01:00 EST on Sunday 2026-11-01.
    expect(evaluate('2026-10-29T15:59:00-04:00')).toEqual({ open: true, reasons: [], closesAt: '2026-10-29T16:00:00-04:00' });
    expect(evaluate('2026-10-30T10:00:00-04:00').nextOpen).toBe('2026-11-02T09:00:00-05:00');
    expect(evaluate('2026-11-02T13:30:00Z').reasons).toEqual([HOURS]); // 08:30 EST
    expect(evaluate('2026-11-02T14:30:00Z').open).toBe(true); // 09:30 EST
  });

  test('a window spanning the change is an hour shorter in spring and an hour longer in autumn', () => {
    const night = settings({ weekdays: [7], hours: { start: '01:00', end: '03:00' } });
    // Spring: 01:00 EST (06:00Z) to 03:00 EDT (07:00Z).
    expect(evaluate('2026-03-08T06:59:00Z', night)).toEqual({ open: true, reasons: [], closesAt: '2026-03-08T03:00:00-04:00' });
    expect(evaluate('2026-03-08T07:00:00Z', night).open).toBe(false);
    // Autumn: 01:00 EDT (05:00Z) to 03:00 EST (08:00Z); 06:30Z is the second 01:30 of the night.
    expect(evaluate('2026-11-01T06:30:00Z', night)).toEqual({ open: true, reasons: [], closesAt: '2026-11-01T03:00:00-05:00' });
    expect(evaluate('2026-11-01T07:59:00Z', night).open).toBe(true);
    expect(evaluate('2026-11-01T08:00:00Z', night).open).toBe(false);
  });

  test('an opening time the spring change skips opens when the clocks jump (02:30 becomes 03:30)', () => {
    const sunday = settings({ weekdays: [7], hours: { start: '02:30', end: '05:00' } });
    expect(evaluate('2026-03-07T12:00:00-05:00', sunday).nextOpen).toBe('2026-03-08T03:30:00-04:00');
  });

  test('both directions in a southern-hemisphere zone, with Easter on top', () => {
    const sydney = settings({ timezone: 'Australia/Sydney', holidays: { country: 'AU', region: 'NSW' } });
    // DST ends on Sunday 2026-04-05 (+11:00 to +10:00); Good Friday, Easter Saturday/Sunday/Monday close the rest.
    expect(evaluate('2026-04-02T16:30:00+11:00', sydney).nextOpen).toBe('2026-04-07T09:00:00+10:00');
    // DST starts on Sunday 2026-10-04 (+10:00 to +11:00); Monday the 5th is Labour Day in NSW.
    expect(evaluate('2026-10-01T16:30:00+10:00', sydney).nextOpen).toBe('2026-10-06T09:00:00+11:00');
  });
});

describe('freezes', () => {
  const yearEnd = settings({ freezes: [{ name: 'year-end', start: '2026-12-18', end: '2027-01-04T09:00', reason: 'holidays' }] });

  test('a long configured freeze closes everything until its end', () => {
    expect(yearEnd.freezes).toEqual([
      { name: 'year-end', start: '2026-12-18T00:00:00-05:00', end: '2027-01-04T09:00:00-05:00', reason: 'holidays' },
    ]);
    expect(evaluate('2026-12-21T10:00:00-05:00', yearEnd)).toEqual({
      open: false,
      reasons: ['freeze: year-end until 2027-01-04T09:00:00-05:00'],
      nextOpen: '2027-01-04T09:00:00-05:00',
    });
    expect(evaluate('2026-12-17T15:00:00-05:00', yearEnd)).toEqual({ open: true, reasons: [], closesAt: '2026-12-17T16:00:00-05:00' });
  });

  test('a freeze ending inside a window opens it at the freeze end; one ending before a holiday weekend waits past it', () => {
    const midMorning = settings({ freezes: [{ name: 'launch', start: '2026-11-23T00:00', end: '2026-11-24T11:30' }] });
    expect(evaluate('2026-11-23T10:00:00-05:00', midMorning).nextOpen).toBe('2026-11-24T11:30:00-05:00');
    const beforeThanksgiving = settings({ freezes: [{ name: 'launch', start: '2026-11-23', end: '2026-11-25T16:00' }] });
    expect(evaluate('2026-11-23T10:00:00-05:00', beforeThanksgiving).nextOpen).toBe('2026-11-30T09:00:00-05:00');
  });

  test('a bare end date is inclusive', () => {
    expect(settings({ freezes: [{ name: 'x', start: '2026-12-18', end: '2027-01-03' }] }).freezes[0].end).toBe('2027-01-04T00:00:00-05:00');
  });

  test('a freeze longer than the search horizon says so instead of searching forever', () => {
    const endless = settings({ freezes: [{ name: 'migration', start: '2026-01-01', end: '2028-06-30' }] });
    expect(evaluate('2026-11-23T10:00:00-05:00', endless)).toEqual({
      open: false,
      reasons: ['freeze: migration until 2028-07-01T00:00:00-04:00', 'no opening within a year'],
    });
  });

  describe('run-time freezes from on-call', () => {
    const declared = (over: Partial<Freeze>): Freeze => ({
      name: 'incident',
      reason: 'INC-42',
      by: 'arn:aws:sts::111111111111:assumed-role/OnCall/alice',
      at: '2026-11-23T10:00:00-05:00',
      end: '2026-11-24T12:00:00-05:00',
      ...over,
    });

    test('without a start, a freeze is in force from when it was declared', () => {
      const freeze = declared({});
      expect(evaluate('2026-11-23T09:59:00-05:00', DEFAULT_CALENDAR_SETTINGS, [freeze])).toEqual({
        open: true,
        reasons: [],
        closesAt: '2026-11-23T10:00:00-05:00',
      });
      expect(evaluate('2026-11-23T10:00:00-05:00', DEFAULT_CALENDAR_SETTINGS, [freeze])).toEqual({
        open: false,
        reasons: ['freeze: incident until 2026-11-24T12:00:00-05:00'],
        nextOpen: '2026-11-24T12:00:00-05:00',
      });
    });

    test('a planned freeze closes the window early; overlapping freezes are all named and all waited out', () => {
      const event = declared({ name: 'big-event', start: '2026-11-24T13:00:00-05:00', end: '2026-11-24T20:00:00-05:00' });
      expect(evaluate('2026-11-24T12:00:00-05:00', DEFAULT_CALENDAR_SETTINGS, [event]).closesAt).toBe('2026-11-24T13:00:00-05:00');
      const overlapping = [declared({ end: '2026-11-23T14:00:00-05:00' }), declared({ name: 'db', start: '2026-11-23T13:00:00-05:00', end: '2026-11-24T10:00:00-05:00' })];
      expect(evaluate('2026-11-23T13:30:00-05:00', DEFAULT_CALENDAR_SETTINGS, overlapping)).toEqual({
        open: false,
        reasons: ['freeze: incident until 2026-11-23T14:00:00-05:00', 'freeze: db until 2026-11-24T10:00:00-05:00'],
        nextOpen: '2026-11-24T10:00:00-05:00',
      });
    });

    test('a freeze whose times cannot be read fails closed', () => {
      expect(() => evaluate('2026-11-23T10:00:00-05:00', DEFAULT_CALENDAR_SETTINGS, [declared({ end: 'soon' })])).toThrow(
        'freeze "incident" has an unreadable start or end',
      );
    });
  });
});

test('an invalid instant is refused, not evaluated', () => {
  expect(() => evaluateCalendar(DEFAULT_CALENDAR_SETTINGS, new Date('nope'))).toThrow(RangeError);
});

test('settings round-trip through JSON unchanged (the gate gets them in an environment variable)', () => {
  const parsed = settings({
    timezone: 'Europe/Berlin',
    weekdays: [2, 1],
    hours: { start: '08:00', end: '24:00' },
    holidays: { country: 'DE', region: 'BY' },
    freezes: [{ name: 'year-end', start: '2026-12-18', end: '2027-01-03T12:00' }],
  });
  expect(parseCalendarSettings(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
});

describe('times typed by people', () => {
  test.each([
    ['2026-11-27T08:59:00-05:00', '2026-11-27T13:59:00.000Z'],
    ['2026-11-27T13:59Z', '2026-11-27T13:59:00.000Z'],
    ['2026-11-27T08:59', '2026-11-27T13:59:00.000Z'], // local, in the calendar zone
    ['2026-07-01T08:59:30.5', '2026-07-01T12:59:30.500Z'],
  ])('%s', (text, iso) => {
    expect(new Date(parseTimeInZone(text, 'America/New_York')!).toISOString()).toBe(iso);
  });

  test.each(['', 'now', 'tomorrow 9am', '2026-11-27', '2026-02-30T10:00Z', '2026-11-27T25:00', '2026-11-27T08:59+5', '1764251940', '2026-11-27 08:59'])(
    'refuses %j',
    (text) => {
      expect(parseTimeInZone(text, 'America/New_York')).toBeUndefined();
    },
  );
});

describe('bad configuration stops synth with one clear line', () => {
  test.each<[string, unknown, string]>([
    ['a non-object section', 'Mon-Thu', 'calendar must be an object, got "Mon-Thu"'],
    ['a misspelt setting', { timeZone: 'UTC' }, 'calendar.timeZone is not a known setting (timezone, weekdays, hours, holidays, freezes), got "UTC"'],
    ['an unknown time zone', { timezone: 'Mars/Olympus_Mons' }, 'calendar.timezone must be an IANA time zone like "America/New_York", got "Mars/Olympus_Mons"'],
    ['an offset instead of a zone', { timezone: '+05:00' }, 'calendar.timezone must be an IANA time zone like "America/New_York", got "+05:00"'],
    ['a non-string zone', { timezone: 5 }, 'calendar.timezone must be an IANA time zone like "America/New_York", got 5'],
    ['an empty week', { weekdays: [] }, 'calendar.weekdays must list at least one ISO weekday (1 = Monday … 7 = Sunday), got []'],
    ['a week that is not a list', { weekdays: 'Mon-Thu' }, 'calendar.weekdays must list at least one ISO weekday (1 = Monday … 7 = Sunday), got "Mon-Thu"'],
    ['weekday 0', { weekdays: [1, 0] }, 'calendar.weekdays[1] must be an ISO weekday from 1 (Monday) to 7 (Sunday), got 0'],
    ['weekday 8', { weekdays: [8] }, 'calendar.weekdays[0] must be an ISO weekday from 1 (Monday) to 7 (Sunday), got 8'],
    ['a weekday name', { weekdays: ['Mon'] }, 'calendar.weekdays[0] must be an ISO weekday from 1 (Monday) to 7 (Sunday), got "Mon"'],
    ['a repeated weekday', { weekdays: [1, 2, 1] }, 'calendar.weekdays[2] must not repeat a day, got 1'],
    ['an hour out of range', { hours: { start: '25:00' } }, 'calendar.hours.start must be a local time HH:MM from 00:00 to 23:59, got "25:00"'],
    ['minutes out of range', { hours: { start: '09:60' } }, 'calendar.hours.start must be a local time HH:MM from 00:00 to 23:59, got "09:60"'],
    ['a sloppy time', { hours: { start: '9:00' } }, 'calendar.hours.start must be a local time HH:MM from 00:00 to 23:59, got "9:00"'],
    ['24:00 as a start', { hours: { start: '24:00' } }, 'calendar.hours.start must be a local time HH:MM from 00:00 to 23:59, got "24:00"'],
    ['an end past midnight', { hours: { end: '24:30' } }, 'calendar.hours.end must be a local time HH:MM from 00:01 to 24:00, got "24:30"'],
    ['start equal to end', { hours: { start: '09:00', end: '09:00' } }, 'calendar.hours.end must be later than calendar.hours.start (09:00), got "09:00"'],
    ['start after end', { hours: { start: '16:00', end: '09:00' } }, 'calendar.hours.end must be later than calendar.hours.start (16:00), got "09:00"'],
    ['an unknown country', { holidays: { country: 'XX' } }, 'calendar.holidays.country must be a country code date-holidays knows, like "US" or "DE", got "XX"'],
    ['a lower-case country', { holidays: { country: 'us' } }, 'calendar.holidays.country must be a country code date-holidays knows, like "US" or "DE", got "us"'],
    ['an unknown region', { holidays: { country: 'US', region: 'ZZ' } }, 'calendar.holidays.region must be a region of US that date-holidays knows, like "AL", got "ZZ"'],
    ['a region of the wrong country', { holidays: { country: 'DE', region: 'NY' } }, 'calendar.holidays.region must be a region of DE that date-holidays knows, like "BB", got "NY"'],
    ['freezes that are not a list', { freezes: { name: 'x' } }, 'calendar.freezes must be a list of freezes, got {"name":"x"}'],
    ['a freeze without a name', { freezes: [{ start: '2026-12-18', end: '2027-01-04' }] }, 'calendar.freezes[0].name must be a non-empty string, got undefined'],
    ['a freeze on February 30th', { freezes: [{ name: 'x', start: '2026-02-30', end: '2026-03-02' }] }, 'calendar.freezes[0].start must be an ISO-8601 date (2026-12-18), local time (2026-12-18T16:00) or instant (2026-12-18T21:00:00Z), got "2026-02-30"'],
    ['a freeze ending "soon"', { freezes: [{ name: 'x', start: '2026-12-18', end: 'soon' }] }, 'calendar.freezes[0].end must be an ISO-8601 date (2026-12-18), local time (2026-12-18T16:00) or instant (2026-12-18T21:00:00Z), got "soon"'],
    ['a freeze ending before it starts', { freezes: [{ name: 'x', start: '2026-12-18T12:00', end: '2026-12-18T12:00' }] }, 'calendar.freezes[0].end must be later than its start (2026-12-18T12:00:00-05:00), got "2026-12-18T12:00"'],
    ['a freeze with an unknown field', { freezes: [{ name: 'x', start: '2026-12-18', end: '2026-12-19', until: 'x' }] }, 'calendar.freezes[0].until is not a known setting (name, start, end, reason), got "x"'],
    ['a freeze whose reason is not text', { freezes: [{ name: 'x', start: '2026-12-18', end: '2026-12-19', reason: 42 }] }, 'calendar.freezes[0].reason must be a string, got 42'],
  ])('%s', (_, calendar, message) => {
    let error: unknown;
    try {
      loadConfig({ context: { calendar } });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`invalid configuration: ${message} (from cdk.json)`);
  });

  test('a country without regions in date-holidays says so', () => {
    expect(() => settings({ holidays: { country: 'LU', region: 'X' } })).toThrow(
      'invalid configuration: calendar.holidays.region cannot be set: date-holidays knows no regions of LU, got "X"',
    );
  });
});
