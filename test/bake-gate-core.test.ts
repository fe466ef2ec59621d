import {
  AlarmEvent,
  AlarmReading,
  clock,
  decide,
  DecisionSettings,
  duration,
  GateInputs,
  MAX_SUMMARY_LENGTH,
  PendingApproval,
  readFailed,
  readOk,
  rejectionsForAlarmEvent,
  ReleaseWindow,
  StateChange,
} from '../lambdas/bake-gate/core';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z'); // the end of the dev deployment: the bake starts
const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * MIN + seconds * 1000);

const settings: DecisionSettings = {
  bakeMinutes: 60,
  evidenceGraceMinutes: 30,
  devAlarmNames: ['Dev-Service-Health'],
  prodHealthAlarmName: 'Prod-Service-Health',
  lateStartMinutes: 50,
};

const approval = (id = 'exec-1', start = T0): PendingApproval => ({ pipelineExecutionId: id, token: `token-${id}`, bakeStartedAt: start });

function alarm(name: string, state: AlarmReading['state'], since: Date, changes: StateChange[] = [], reason = 'threshold'): AlarmReading {
  return { name, state, since, reason, changes };
}

const change = (when: Date, from: StateChange['from'], to: StateChange['to'], reason = `went ${to}`): StateChange => ({
  at: when,
  from,
  to,
  reason,
});

/** A healthy world: dev's health alarm OK since before the bake, prod OK, nothing halted, no calendar. */
function inputs(now: Date, overrides: Partial<GateInputs> = {}): GateInputs {
  return {
    now,
    approvals: [approval()],
    devAlarms: readOk([alarm('Dev-Service-Health', 'OK', at(-120))]),
    prodHealth: readOk(alarm('Prod-Service-Health', 'OK', at(-500))),
    halt: readOk(undefined),
    ...overrides,
  };
}

function verdictAt(now: Date, overrides: Partial<GateInputs> = {}, s: DecisionSettings = settings) {
  const [decision] = decide(inputs(now, overrides), s);
  return decision.verdict;
}

describe('a clean bake', () => {
  it('approves at the end of the bake and not a second before', () => {
    expect(verdictAt(at(59, 59))).toEqual({ kind: 'wait', summary: 'waiting: 1 min of bake left' });
    const end = verdictAt(at(60));
    expect(end.kind).toBe('approve');
    expect(end.summary).toBe(
      'approved: 1 h bake clean; Dev-Service-Health OK, no ALARM since 10:00:00Z; Prod-Service-Health OK',
    );
  });

  it('says how much bake is left while it waits', () => {
    expect(verdictAt(at(37)).summary).toBe('waiting: 23 min of bake left');
    expect(verdictAt(at(0)).summary).toBe('waiting: 1 h of bake left');
  });

  it('ignores an alarm that fired and recovered before the bake started', () => {
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', at(-5), [change(at(-20), 'OK', 'ALARM'), change(at(-5), 'ALARM', 'OK')]),
    ]);
    expect(verdictAt(at(60), { devAlarms }).kind).toBe('approve');
  });
});

describe('an alarm during the bake', () => {
  it('rejects when the alarm fired and recovered mid-bake, read from the history', () => {
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', at(43), [
        change(at(42, 7), 'OK', 'ALARM', 'Dev-Service-Api5xxRate transitioned to ALARM'),
        change(at(43), 'ALARM', 'OK'),
      ]),
    ]);
    const verdict = verdictAt(at(60), { devAlarms });
    expect(verdict).toEqual({
      kind: 'reject',
      summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: Dev-Service-Api5xxRate transitioned to ALARM)',
    });
  });

  it('rejects at once, before the bake is over', () => {
    const devAlarms = readOk([alarm('Dev-Service-Health', 'ALARM', at(5), [change(at(5), 'OK', 'ALARM', '5xx')], '5xx')]);
    expect(verdictAt(at(6), { devAlarms }).kind).toBe('reject');
  });

  it('names the first of several firings', () => {
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', at(50), [
        change(at(40), 'OK', 'ALARM', 'second'),
        change(at(10), 'OK', 'ALARM', 'first'),
        change(at(20), 'ALARM', 'OK'),
        change(at(50), 'ALARM', 'OK'),
      ]),
    ]);
    expect(verdictAt(at(60), { devAlarms }).summary).toContain('entered ALARM at 10:10:00Z (reason: first)');
  });

  it('rejects an alarm that was in ALARM when the bake started, even if it recovered since', () => {
    const devAlarms = readOk([alarm('Dev-Service-Health', 'OK', at(3), [change(at(3), 'ALARM', 'OK')])]);
    expect(verdictAt(at(60), { devAlarms }).summary).toBe(
      'rejected: Dev-Service-Health was in ALARM when the bake started, until 10:03:00Z',
    );
  });

  it('rejects an alarm still in ALARM from before the bake', () => {
    const devAlarms = readOk([alarm('Dev-Service-Health', 'ALARM', at(-10), [], 'p99 latency')]);
    expect(verdictAt(at(60), { devAlarms }).summary).toBe(
      'rejected: Dev-Service-Health in ALARM since 09:50:00Z, before the bake started (reason: p99 latency)',
    );
  });

  it('rejects on the current state even when the history has not caught up yet', () => {
    const devAlarms = readOk([alarm('Dev-Service-Health', 'ALARM', at(59, 30), [], 'errors')]);
    expect(verdictAt(at(60), { devAlarms }).summary).toContain('entered ALARM at 10:59:30Z (reason: errors)');
  });

  it('watches the extra alarms named in configuration too', () => {
    const s = { ...settings, devAlarmNames: ['Dev-Service-Health', 'Dev-Queue-Depth'] };
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', at(-100)),
      alarm('Dev-Queue-Depth', 'OK', at(30), [change(at(20), 'OK', 'ALARM', 'backlog'), change(at(30), 'ALARM', 'OK')]),
    ]);
    expect(verdictAt(at(60), { devAlarms }, s).summary).toBe('rejected: Dev-Queue-Depth entered ALARM at 10:20:00Z (reason: backlog)');
  });
});

describe('evidence, not silence', () => {
  const insufficient = readOk([alarm('Dev-Service-Health', 'INSUFFICIENT_DATA', at(1), [change(at(1), 'OK', 'INSUFFICIENT_DATA')], 'no data')]);

  it('does not end the bake while a watched alarm is INSUFFICIENT_DATA', () => {
    expect(verdictAt(at(30), { devAlarms: insufficient }).summary).toBe(
      'waiting: 30 min of bake left; Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)',
    );
    expect(verdictAt(at(60), { devAlarms: insufficient })).toEqual({
      kind: 'wait',
      summary: 'waiting: Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)',
    });
  });

  it('rejects when the evidence has not come within the grace period after the bake', () => {
    expect(verdictAt(at(89, 59), { devAlarms: insufficient }).kind).toBe('wait');
    expect(verdictAt(at(90), { devAlarms: insufficient }).summary).toBe(
      'rejected: no evidence of health 30 min after the bake; Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)',
    );
  });

  it('approves once the alarm is OK again, since INSUFFICIENT_DATA is not ALARM', () => {
    const recovered = readOk([
      alarm('Dev-Service-Health', 'OK', at(62), [change(at(1), 'OK', 'INSUFFICIENT_DATA'), change(at(62), 'INSUFFICIENT_DATA', 'OK')]),
    ]);
    expect(verdictAt(at(63), { devAlarms: recovered }).kind).toBe('approve');
  });

  describe('minimum requests', () => {
    const s = { ...settings, minimumRequests: 100 };
    const perMinute = (n: number, from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({ at: at(from + i), value: n }));

    it('waits while dev has served too few requests, counting only the bake', () => {
      const requests = readOk([...perMinute(1000, -10, 0), ...perMinute(1, 0, 60)]);
      expect(verdictAt(at(60), { requests }, s).summary).toBe('waiting: only 60 requests (minimum 100) during the bake');
    });

    it('approves with enough traffic, and says how much', () => {
      const requests = readOk(perMinute(2, 0, 60));
      const verdict = verdictAt(at(60), { requests }, s);
      expect(verdict.kind).toBe('approve');
      expect(verdict.summary).toContain('120 requests (minimum 100)');
    });

    it('treats no datapoints as no traffic, and rejects after the grace period', () => {
      expect(verdictAt(at(60), { requests: readOk([]) }, s).kind).toBe('wait');
      expect(verdictAt(at(90), { requests: readOk([]) }, s).summary).toBe(
        'rejected: no evidence of health 30 min after the bake; only 0 requests (minimum 100) during the bake',
      );
    });

    it('rejects when the metric cannot be read', () => {
      const requests = readFailed<never>('GetMetricData AWS/ApiGateway/Count in dev (222222222222): Throttling: Rate exceeded');
      expect(verdictAt(at(60), { requests }, s).summary).toBe(
        'rejected: cannot read the request count: GetMetricData AWS/ApiGateway/Count in dev (222222222222): Throttling: Rate exceeded',
      );
    });
  });
});

describe('fail closed', () => {
  it('rejects when a watched alarm does not exist', () => {
    expect(verdictAt(at(60), { devAlarms: readOk([]) }).summary).toBe('rejected: Dev-Service-Health does not exist in dev');
  });

  it('rejects when the dev alarms cannot be read, saying what failed', () => {
    const devAlarms = readFailed<never>('AssumeRole arn:aws:iam::222222222222:role/Tollgate-AlarmReader: AccessDenied: no (HTTP 403, 1 attempt)');
    expect(verdictAt(at(10), { devAlarms }).summary).toBe(
      'rejected: cannot read dev alarms: AssumeRole arn:aws:iam::222222222222:role/Tollgate-AlarmReader: AccessDenied: no (HTTP 403, 1 attempt)',
    );
  });

  it('rejects when the halt flag cannot be read', () => {
    const halt = readFailed<never>('control parameter /tollgate/Tollgate/halt is unreadable: not JSON');
    expect(verdictAt(at(60), { halt }).kind).toBe('reject');
  });

  it('rejects rather than waits when something failed, and lists every failure', () => {
    const verdict = verdictAt(at(10), {
      devAlarms: readOk([]),
      prodHealth: readFailed('AssumeRole arn:aws:iam::333333333333:role/r: AccessDenied'),
    });
    expect(verdict.summary).toBe(
      'rejected: Dev-Service-Health does not exist in dev; cannot read prod health: AssumeRole arn:aws:iam::333333333333:role/r: AccessDenied',
    );
  });

  it('keeps the summary within the 512 characters CodePipeline takes', () => {
    const devAlarms = readOk([alarm('Dev-Service-Health', 'ALARM', at(5), [change(at(5), 'OK', 'ALARM', 'x'.repeat(2000))])]);
    const verdict = verdictAt(at(6), { devAlarms });
    expect(verdict.summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(verdict.summary.endsWith('…')).toBe(true);
  });
});

describe("don't deploy into a burning prod", () => {
  // Decision: prod in ALARM holds the build (wait), it does not reject it. The build has done nothing wrong;
  // once prod recovers it proceeds by itself, or its approval times out.
  it('holds a baked build while prod health is in ALARM', () => {
    const prodHealth = readOk(alarm('Prod-Service-Health', 'ALARM', at(30), [], 'LambdaErrors'));
    expect(verdictAt(at(60), { prodHealth })).toEqual({
      kind: 'wait',
      summary: 'waiting: prod unhealthy: Prod-Service-Health in ALARM since 10:30:00Z (LambdaErrors)',
    });
    expect(verdictAt(at(20), { prodHealth }).summary).toBe(
      'waiting: 40 min of bake left; prod unhealthy: Prod-Service-Health in ALARM since 10:30:00Z (LambdaErrors)',
    );
  });

  it('holds for as long as it takes: prod trouble is not missing evidence', () => {
    const prodHealth = readOk(alarm('Prod-Service-Health', 'ALARM', at(30)));
    expect(verdictAt(at(60 * 24), { prodHealth }).kind).toBe('wait');
  });

  it('lets prod INSUFFICIENT_DATA through: only ALARM holds', () => {
    const prodHealth = readOk(alarm('Prod-Service-Health', 'INSUFFICIENT_DATA', at(30)));
    expect(verdictAt(at(60), { prodHealth }).kind).toBe('approve');
  });

  it('approves the first release, when the pipeline has never deployed prod', () => {
    const verdict = verdictAt(at(60), { prodHealth: 'not-deployed' });
    expect(verdict.kind).toBe('approve');
    expect(verdict.summary).toContain('prod never deployed');
  });

  it("rejects when prod's health alarm does not exist though prod was deployed", () => {
    expect(verdictAt(at(60), { prodHealth: readOk(undefined) }).summary).toBe(
      'rejected: Prod-Service-Health does not exist in prod',
    );
  });
});

describe('a 12-hour bake', () => {
  const long = { ...settings, bakeMinutes: 12 * 60 };

  it('waits the whole 12 hours and approves at the end', () => {
    expect(verdictAt(at(1), {}, long).summary).toBe('waiting: 11 h 59 min of bake left');
    expect(verdictAt(at(12 * 60 - 1, 59), {}, long).kind).toBe('wait');
    expect(verdictAt(at(12 * 60), {}, long)).toMatchObject({ kind: 'approve', summary: expect.stringContaining('12 h bake clean') });
  });

  it('rejects for an alarm in its 11th hour, and dates it when it was another day', () => {
    const start = new Date('2026-03-10T20:00:00Z');
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', new Date('2026-03-11T07:10:00Z'), [
        change(new Date('2026-03-11T07:05:00Z'), 'OK', 'ALARM', 'throttles'),
        change(new Date('2026-03-11T07:10:00Z'), 'ALARM', 'OK'),
      ]),
    ]);
    const [decision] = decide(
      inputs(new Date('2026-03-11T08:00:00Z'), { approvals: [approval('exec-1', start)], devAlarms }),
      long,
    );
    expect(decision.verdict.summary).toBe('rejected: Dev-Service-Health entered ALARM at 07:05:00Z (reason: throttles)');
    const [later] = decide(inputs(new Date('2026-03-12T08:00:00Z'), { approvals: [approval('exec-1', start)], devAlarms }), long);
    expect(later.verdict.summary).toContain('entered ALARM at 2026-03-11T07:05:00Z');
  });
});

describe('several pending executions', () => {
  it('decides each by its own bake start', () => {
    const devAlarms = readOk([
      alarm('Dev-Service-Health', 'OK', at(31), [change(at(30), 'OK', 'ALARM', 'spike'), change(at(31), 'ALARM', 'OK')]),
    ]);
    const approvals = [approval('old', at(0)), approval('new', at(35)), approval('newer', at(200))];
    const decisions = decide(inputs(at(95), { approvals, devAlarms }), settings);
    expect(decisions.map((d) => [d.approval.pipelineExecutionId, d.verdict.kind])).toEqual([
      ['old', 'reject'],
      ['new', 'approve'],
      ['newer', 'wait'],
    ]);
  });
});

describe('halt and release calendar', () => {
  const flag = { halted: true, reason: 'incident 4711', by: 'arn:aws:sts::111111111111:assumed-role/oncall/alice', at: '2026-03-10T10:30:00Z' };
  const halt = readOk(flag);

  it('never approves while halted, and says who halted it and why', () => {
    expect(verdictAt(at(60), { halt })).toEqual({
      kind: 'wait',
      summary: 'waiting: halted by arn:aws:sts::111111111111:assumed-role/oncall/alice at 2026-03-10T10:30:00Z: incident 4711',
    });
    expect(verdictAt(at(60 * 24 * 3), { halt }).kind).toBe('wait');
  });

  it('approves once the halt is lifted', () => {
    expect(verdictAt(at(60), { halt: readOk({ ...flag, halted: false }) }).kind).toBe('approve');
  });

  const window = (w: ReleaseWindow) => new Map([['exec-1', readOk<ReleaseWindow | undefined>(w)]]);

  it('queues a baked build while the calendar is closed', () => {
    const releaseWindows = window({ open: false, reasons: ['Friday'], nextOpen: '2026-03-16T09:00:00-04:00' });
    expect(verdictAt(at(60), { releaseWindows }).summary).toBe(
      'waiting: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    );
  });

  it('does not start prod so late that its deploy and bake would outlast the window', () => {
    const tooLate = window({ open: true, reasons: [], closesAt: at(60 + 49).toISOString() });
    expect(verdictAt(at(60), { releaseWindows: tooLate }).summary).toBe(
      'waiting: too late to start prod: the window closes at 11:49:00Z and prod deploy + bake take 50 min',
    );
    const justInTime = window({ open: true, reasons: [], closesAt: at(60 + 50).toISOString() });
    expect(verdictAt(at(60), { releaseWindows: justInTime }).kind).toBe('approve');
  });

  it('names what opened a closed calendar (a break-glass override) first in the approval', () => {
    const overridden = window({ open: true, reasons: ['break-glass override by arn:aws:sts::111111111111:assumed-role/OnCall/alice at 2026-03-13T17:00:00-04:00: hotfix'] });
    expect(verdictAt(at(60), { releaseWindows: overridden })).toEqual({
      kind: 'approve',
      summary: expect.stringMatching(
        /^approved: 1 h bake clean; release calendar opened by break-glass override by arn:aws:sts::111111111111:assumed-role\/OnCall\/alice at 2026-03-13T17:00:00-04:00: hotfix; /,
      ),
    });
  });

  it('approves when no calendar is configured', () => {
    expect(verdictAt(at(60), { releaseWindows: new Map([['exec-1', readOk(undefined)]]) }).kind).toBe('approve');
  });

  it('rejects when the calendar cannot decide', () => {
    const releaseWindows = new Map([['exec-1', readFailed<ReleaseWindow | undefined>('unknown timezone Mars/Olympus')]]);
    expect(verdictAt(at(60), { releaseWindows }).summary).toBe('rejected: cannot read the release calendar: unknown timezone Mars/Olympus');
    const unreadable = window({ open: true, reasons: [], closesAt: 'soon' });
    expect(verdictAt(at(60), { releaseWindows: unreadable }).summary).toBe('rejected: the release calendar gave an unreadable closing time "soon"');
  });
});

describe('the alarm event fast path', () => {
  const dev = { devAlarmNames: ['Dev-Service-Health'], devAccount: '222222222222' };
  const event = (overrides: Partial<AlarmEvent> = {}): AlarmEvent => ({
    account: '222222222222',
    alarmName: 'Dev-Service-Health',
    state: 'ALARM',
    reason: '5xx above 1%',
    at: at(42, 7),
    ...overrides,
  });

  it('rejects every approval whose bake started before the alarm', () => {
    const decisions = rejectionsForAlarmEvent(event(), [approval('a', at(0)), approval('b', at(50))], dev, at(42, 8));
    expect(decisions).toEqual([
      {
        approval: approval('a', at(0)),
        verdict: { kind: 'reject', summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: 5xx above 1%)' },
      },
    ]);
  });

  it('ignores out-of-order events from before the bake, recoveries, prod and unwatched alarms', () => {
    const approvals = [approval('a', at(0))];
    expect(rejectionsForAlarmEvent(event({ at: at(-1) }), approvals, dev, at(5))).toEqual([]);
    expect(rejectionsForAlarmEvent(event({ state: 'OK' }), approvals, dev, at(45))).toEqual([]);
    expect(rejectionsForAlarmEvent(event({ account: '333333333333' }), approvals, dev, at(45))).toEqual([]);
    expect(rejectionsForAlarmEvent(event({ alarmName: 'Other' }), approvals, dev, at(45))).toEqual([]);
  });

  it('gives the same decision for a duplicate event', () => {
    const approvals = [approval('a', at(0))];
    expect(rejectionsForAlarmEvent(event(), approvals, dev, at(43))).toEqual(rejectionsForAlarmEvent(event(), approvals, dev, at(43)));
  });
});

describe('wording', () => {
  it('rounds durations up to the minute', () => {
    expect(duration(1)).toBe('1 min');
    expect(duration(60 * MIN)).toBe('1 h');
    expect(duration(61 * MIN + 1)).toBe('1 h 2 min');
  });

  it('writes times on the same day short and others in full', () => {
    expect(clock(new Date('2026-03-10T10:42:07.123Z'), new Date('2026-03-10T23:00:00Z'))).toBe('10:42:07Z');
    expect(clock(new Date('2026-03-09T10:42:07Z'), new Date('2026-03-10T01:00:00Z'))).toBe('2026-03-09T10:42:07Z');
  });
});
