import {
  ActionRun,
  AlarmEvent,
  AlarmReading,
  clock,
  ConfigurationChange,
  Datapoint,
  decide,
  EnvironmentReading,
  GateInputs,
  MAX_SUMMARY_LENGTH,
  PendingApproval,
  Read,
  readFailed,
  readOk,
  rejectionsForAlarmEvent,
  ReleaseWindow,
  StageView,
  StateChange,
  upstreamSpan,
} from '@tollgate/constructs/lib/lambdas/bake-gate/core';
import { GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { gateSettings, withBake, withEnvironment } from './bake-gate-fixtures';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z'); // the end of the dev deployment: the dev bake starts
const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * MIN + seconds * 1000);
/** The end of the prod deployment: the prod bake starts (dev baked 60 min, +3 latency, prod deployed). */
const P0 = at(90);

const SETTINGS = gateSettings();

const devBake = (id = 'exec-1', start = T0): PendingApproval => ({ pipelineExecutionId: id, token: `tok-${id}`, stageName: 'Dev', actionName: 'Bake', bakeStartedAt: start });
const prodBake = (id = 'exec-1', start = P0): PendingApproval => ({ pipelineExecutionId: id, token: `tok-${id}`, stageName: 'Prod', actionName: 'ProdBake', bakeStartedAt: start });

function alarm(name: string, state: AlarmReading['state'], since: Date, changes: StateChange[] = [], reason = 'threshold', actionsEnabled = true): AlarmReading {
  return { name, state, since, reason, changes, actionsEnabled };
}

const change = (when: Date, from: StateChange['from'], to: StateChange['to'], reason = `went ${to}`): StateChange => ({ at: when, from, to, reason });

/** One synthetic check result per minute in [from, to). */
function checksEvery(from: Date, to: Date): Datapoint[] {
  return Array.from({ length: Math.max(0, (to.getTime() - from.getTime()) / MIN) }, (_, i) => ({ at: new Date(from.getTime() + i * MIN), value: 1 }));
}

/**
 * A healthy environment read at `now`: its health alarm OK since long before, checks every minute, its stack
 * last deployed before the bakes start.
 */
function reading(title: 'Dev' | 'Prod', now: Date, overrides: Partial<EnvironmentReading> = {}): EnvironmentReading {
  return {
    alarms: [alarm(`${title}-Service-Health`, 'OK', at(-500))],
    configurationChanges: [],
    syntheticRuns: checksEvery(at(-10), now),
    stack: { name: `${title}-Service`, lastUpdatedAt: at(-2) },
    ...overrides,
  };
}

type World = Partial<GateInputs> & { dev?: Read<EnvironmentReading>; prod?: Read<EnvironmentReading> };

/** A healthy world: both environments healthy, both stages ran, dev ran exec-1 until now, nothing halted, no calendar. */
function inputs(now: Date, { dev, prod, ...overrides }: World = {}): GateInputs {
  return {
    now,
    approvals: [devBake()],
    environments: new Map([
      ['dev', dev ?? readOk(reading('Dev', now))],
      ['prod', prod ?? readOk(reading('Prod', now))],
    ]),
    stagesRun: new Set(['Dev', 'Prod']),
    upstreamSpans: new Map([['exec-1', readOk({ start: T0, end: now })]]),
    halt: readOk(undefined),
    ...overrides,
  };
}

function verdictAt(now: Date, world: World = {}, settings: GateSettings = SETTINGS) {
  const [decision] = decide(inputs(now, world), settings);
  return decision.verdict;
}

/** The dev reading at `now` with other alarms. */
const devAlarms = (now: Date, ...alarms: AlarmReading[]) => readOk(reading('Dev', now, { alarms }));

describe('a clean dev bake', () => {
  it('says how much bake is left while it waits', () => {
    // At its first instant no minute has passed, so no evidence can have come yet either.
    expect(verdictAt(at(0))).toEqual({ kind: 'wait', summary: 'waiting: 1 h of dev bake left; dev synthetic checks ran in 0 of 0 min (0%, minimum 90%)' });
    expect(verdictAt(at(37)).summary).toBe('waiting: 23 min of dev bake left');
    expect(verdictAt(at(59, 59)).summary).toBe('waiting: 1 min of dev bake left');
  });

  it('waits for the alarms to judge the last minutes, then approves at exactly bake end + alarm latency', () => {
    expect(verdictAt(at(60))).toEqual({ kind: 'wait', summary: 'waiting: bake over; 3 min more for the alarms to judge its last minutes' });
    expect(verdictAt(at(62, 59)).summary).toBe('waiting: bake over; 1 min more for the alarms to judge its last minutes');
    expect(verdictAt(at(63))).toEqual({
      kind: 'approve',
      summary:
        'approved: 1 h dev bake clean; Dev-Service-Health OK, no ALARM since 10:00:00Z; synthetic checks ran in 63 of 63 min (100%, minimum 90%); Prod-Service-Health OK',
    });
  });

  it('approves at bake end when the alarm latency is zero', () => {
    expect(verdictAt(at(60), {}, { ...SETTINGS, alarmLatencyMinutes: 0 }).kind).toBe('approve');
  });

  it('ignores an alarm that fired and recovered before the bake started', () => {
    const dev = devAlarms(at(63), alarm('Dev-Service-Health', 'OK', at(-5), [change(at(-20), 'OK', 'ALARM'), change(at(-5), 'ALARM', 'OK')]));
    expect(verdictAt(at(63), { dev }).kind).toBe('approve');
  });
});

describe('an alarm during the bake', () => {
  it('rejects when the alarm fired and recovered mid-bake, read from the history', () => {
    const dev = devAlarms(
      at(63),
      alarm('Dev-Service-Health', 'OK', at(43), [change(at(42, 7), 'OK', 'ALARM', 'Dev-Service-Api5xxRate transitioned to ALARM'), change(at(43), 'ALARM', 'OK')]),
    );
    expect(verdictAt(at(63), { dev })).toEqual({
      kind: 'reject',
      summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: Dev-Service-Api5xxRate transitioned to ALARM)',
    });
  });

  it('rejects at once, before the bake is over', () => {
    const dev = devAlarms(at(6), alarm('Dev-Service-Health', 'ALARM', at(5), [change(at(5), 'OK', 'ALARM', '5xx')], '5xx'));
    expect(verdictAt(at(6), { dev }).kind).toBe('reject');
  });

  it.each([
    [
      'names the first of several firings, whatever the order of the history',
      alarm('Dev-Service-Health', 'OK', at(50), [change(at(40), 'OK', 'ALARM', 'second'), change(at(10), 'OK', 'ALARM', 'first'), change(at(20), 'ALARM', 'OK'), change(at(50), 'ALARM', 'OK')]),
      'rejected: Dev-Service-Health entered ALARM at 10:10:00Z (reason: first)',
    ],
    [
      'rejects an alarm that was in ALARM when the bake started, even if it recovered since',
      alarm('Dev-Service-Health', 'OK', at(3), [change(at(3), 'ALARM', 'OK')]),
      'rejected: Dev-Service-Health was in ALARM when the bake started, until 10:03:00Z',
    ],
    [
      'rejects an alarm still in ALARM from before the bake',
      alarm('Dev-Service-Health', 'ALARM', at(-10), [], 'p99 latency'),
      'rejected: Dev-Service-Health in ALARM since 09:50:00Z, before the bake started (reason: p99 latency)',
    ],
    [
      'rejects on the current state even when the history has not caught up yet',
      alarm('Dev-Service-Health', 'ALARM', at(59, 30), [], 'errors'),
      'rejected: Dev-Service-Health entered ALARM at 10:59:30Z (reason: errors)',
    ],
  ])('%s', (_, health, summary) => {
    expect(verdictAt(at(63), { dev: devAlarms(at(63), health) })).toEqual({ kind: 'reject', summary });
  });

  it('watches the extra alarms named in the settings too', () => {
    const settings = withEnvironment(SETTINGS, 'dev', { alarmNames: ['Dev-Service-Health', 'Dev-Queue-Depth'] });
    const dev = devAlarms(
      at(63),
      alarm('Dev-Service-Health', 'OK', at(-100)),
      alarm('Dev-Queue-Depth', 'OK', at(30), [change(at(20), 'OK', 'ALARM', 'backlog'), change(at(30), 'ALARM', 'OK')]),
    );
    expect(verdictAt(at(63), { dev }, settings).summary).toBe('rejected: Dev-Queue-Depth entered ALARM at 10:20:00Z (reason: backlog)');
  });

  it('rejects when a watched alarm does not exist', () => {
    expect(verdictAt(at(63), { dev: devAlarms(at(63)) }).summary).toBe('rejected: Dev-Service-Health does not exist in dev');
  });
});

describe('INSUFFICIENT_DATA is not evidence of health', () => {
  const insufficient = (now: Date) =>
    devAlarms(now, alarm('Dev-Service-Health', 'INSUFFICIENT_DATA', at(1), [change(at(1), 'OK', 'INSUFFICIENT_DATA')], 'no data'));

  it('waits through the bake and after it while a watched alarm is INSUFFICIENT_DATA', () => {
    expect(verdictAt(at(30), { dev: insufficient(at(30)) }).summary).toBe(
      'waiting: 30 min of dev bake left; Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)',
    );
    expect(verdictAt(at(63), { dev: insufficient(at(63)) })).toEqual({ kind: 'wait', summary: 'waiting: Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)' });
  });

  it('rejects once the evidence grace after the bake (and the alarm latency) has passed', () => {
    expect(verdictAt(at(92, 59), { dev: insufficient(at(92, 59)) }).kind).toBe('wait');
    expect(verdictAt(at(93), { dev: insufficient(at(93)) })).toEqual({
      kind: 'reject',
      summary: 'rejected: no evidence of health 30 min after the bake; Dev-Service-Health is INSUFFICIENT_DATA, not OK (no data)',
    });
  });

  it('approves once the alarm is OK again, since INSUFFICIENT_DATA is not ALARM', () => {
    const dev = devAlarms(at(64), alarm('Dev-Service-Health', 'OK', at(62), [change(at(1), 'OK', 'INSUFFICIENT_DATA'), change(at(62), 'INSUFFICIENT_DATA', 'OK')]));
    expect(verdictAt(at(64), { dev }).kind).toBe('approve');
  });
});

describe('evidence of traffic, by default', () => {
  const devChecks = (runs: Datapoint[]) => (now: Date) => readOk(reading('Dev', now, { syntheticRuns: runs.filter((d) => d.at < now) }));

  it.each([
    ['no synthetic runs at all (zero traffic)', devChecks([]), 'dev synthetic checks ran in 0 of 63 min (0%, minimum 90%)', 'dev synthetic checks ran in 0 of 93 min (0%, minimum 90%)'],
    ['no datapoints (the metric is absent)', (now: Date) => readOk(reading('Dev', now, { syntheticRuns: undefined })), 'ran in 0 of 63 min', 'ran in 0 of 93 min'],
    ['checks in only 40 of the 60 minutes', devChecks(checksEvery(T0, at(40))), 'dev synthetic checks ran in 40 of 63 min (63%, minimum 90%)', 'ran in 40 of 93 min (43%'],
    ['checks that ran before the bake only', devChecks(checksEvery(at(-60), T0)), 'ran in 0 of 63 min', 'ran in 0 of 93 min'],
  ])('%s: waits after the bake, then rejects after the evidence grace', (_, dev, waiting, rejected) => {
    const early = verdictAt(at(63), { dev: dev(at(63)) });
    expect(early.kind).toBe('wait');
    expect(early.summary).toContain(waiting);
    expect(verdictAt(at(92, 59), { dev: dev(at(92, 59)) }).kind).toBe('wait');
    const late = verdictAt(at(93), { dev: dev(at(93)) });
    expect(late.kind).toBe('reject');
    expect(late.summary).toMatch(/^rejected: no evidence of health 30 min after the bake; /);
    expect(late.summary).toContain(rejected);
  });

  it('approves with coverage at the minimum, and waits just below it', () => {
    // 57 of 63 minutes is 90%; 56 is 88%.
    const missingFirst = (n: number) => checksEvery(at(n), at(63));
    expect(verdictAt(at(63), { dev: readOk(reading('Dev', at(63), { syntheticRuns: missingFirst(6) })) })).toMatchObject({
      kind: 'approve',
      summary: expect.stringContaining('synthetic checks ran in 57 of 63 min (90%, minimum 90%)'),
    });
    expect(verdictAt(at(63), { dev: readOk(reading('Dev', at(63), { syntheticRuns: missingFirst(7) })) })).toMatchObject({
      kind: 'wait',
      summary: 'waiting: dev synthetic checks ran in 56 of 63 min (88%, minimum 90%)',
    });
  });

  it('counts a minute once however many datapoints it has, and ignores failed-run zeros', () => {
    const runs = [...checksEvery(T0, at(30)), ...checksEvery(T0, at(30)), ...checksEvery(at(30), at(63)).map((d) => ({ ...d, value: 0 }))];
    expect(verdictAt(at(63), { dev: readOk(reading('Dev', at(63), { syntheticRuns: runs })) }).summary).toContain('ran in 30 of 63 min');
  });

  describe('a minimum of requests', () => {
    const settings = withEnvironment(SETTINGS, 'dev', {
      evidence: { requests: { metric: { namespace: 'AWS/ApiGateway', metricName: 'Count', dimensions: { ApiName: 'dev-service' } }, minimum: 100 } },
    });
    const perMinute = (n: number, from: number, to: number) => Array.from({ length: to - from }, (_, i) => ({ at: at(from + i), value: n }));
    const served = (requests: Datapoint[]) => readOk(reading('Dev', at(63), { syntheticRuns: undefined, requests }));

    it('waits while dev has served too few requests, counting only the bake', () => {
      expect(verdictAt(at(63), { dev: served([...perMinute(1000, -10, 0), ...perMinute(1, 0, 60)]) }, settings)).toEqual({
        kind: 'wait',
        summary: 'waiting: dev served only 60 requests (minimum 100) during the bake',
      });
    });

    it('approves with enough traffic, and says how much', () => {
      expect(verdictAt(at(63), { dev: served(perMinute(2, 0, 60)) }, settings)).toMatchObject({
        kind: 'approve',
        summary: expect.stringContaining('120 requests (minimum 100)'),
      });
    });

    it('treats no datapoints as no traffic, and rejects after the grace', () => {
      expect(verdictAt(at(93), { dev: served([]) }, settings).summary).toBe(
        'rejected: no evidence of health 30 min after the bake; dev served only 0 requests (minimum 100) during the bake',
      );
    });
  });

  it('allowNoTraffic: approves without evidence, and says so in the approval', () => {
    const settings = withBake(SETTINGS, 'Dev', { allowNoTraffic: true });
    const verdict = verdictAt(at(63), { dev: readOk(reading('Dev', at(63), { syntheticRuns: [] })) }, settings);
    expect(verdict.kind).toBe('approve');
    expect(verdict.summary).toContain('NO EVIDENCE OF TRAFFIC REQUIRED (allowNoTraffic)');
    expect(verdict.summary).not.toContain('synthetic checks');
  });
});

describe('tampering and changes outside the pipeline', () => {
  const configurationChange = (when: Date, alarmName = 'Dev-Service-Health'): ConfigurationChange => ({ at: when, alarmName, summary: `Alarm "${alarmName}" updated` });
  const health = (actionsEnabled: boolean) => [alarm('Dev-Service-Health', 'OK', at(-500), [], 'fine', actionsEnabled)];

  it.each<[string, Partial<EnvironmentReading>, string | undefined]>([
    [
      'a watched alarm redefined at the bake start',
      { configurationChanges: [configurationChange(T0)] },
      'rejected: Dev-Service-Health changed at 10:00:00Z during the bake (Alarm "Dev-Service-Health" updated)',
    ],
    [
      "a composite alarm's child redefined during the bake",
      { configurationChanges: [configurationChange(at(20), 'Dev-Service-Api5xxRate')] },
      'rejected: Dev-Service-Api5xxRate changed at 10:20:00Z during the bake (Alarm "Dev-Service-Api5xxRate" updated)',
    ],
    ['a watched alarm redefined before the bake', { configurationChanges: [configurationChange(at(-1))] }, undefined],
    ['a watched alarm with its actions disabled', { alarms: health(false) }, 'rejected: Dev-Service-Health has its actions disabled'],
    [
      'the service stack updated after the bake started',
      { stack: { name: 'Dev-Service', lastUpdatedAt: at(30) } },
      'rejected: Dev-Service was updated outside the pipeline at 10:30:00Z, during the bake',
    ],
    ['the service stack last updated by the deployment, before the bake', { stack: { name: 'Dev-Service', lastUpdatedAt: at(-2) } }, undefined],
    ['the service stack deleted', { stack: 'missing' }, 'rejected: the dev service stack does not exist'],
  ])('%s', (_, overrides, rejection) => {
    const verdict = verdictAt(at(63), { dev: readOk(reading('Dev', at(63), overrides)) });
    if (rejection === undefined) expect(verdict.kind).toBe('approve');
    else expect(verdict).toEqual({ kind: 'reject', summary: rejection });
  });
});

describe('failed reads are retried until they persist', () => {
  const error = 'DescribeAlarms in dev (222222222222): InternalFailure: boom';

  it.each([
    ['for the first time now', 0, 'wait', `waiting: cannot read dev, retrying (rejects after 5 min): ${error}`],
    ['since 1 min', 1, 'wait', `waiting: cannot read dev for 1 min, retrying (rejects after 5 min): ${error}`],
    ['since just under 5 min', 4.99, 'wait', `waiting: cannot read dev for 5 min, retrying (rejects after 5 min): ${error}`],
    ['since 5 min', 5, 'reject', `rejected: cannot read dev for 5 min: ${error}`],
    ['since an hour', 60, 'reject', `rejected: cannot read dev for 1 h: ${error}`],
  ])('a dev read failing %s', (_, minutes, kind, summary) => {
    const now = at(30);
    expect(verdictAt(now, { dev: readFailed(error, new Date(now.getTime() - minutes * MIN)) })).toEqual({ kind, summary });
  });

  it('a failure then a success approves', () => {
    expect(verdictAt(at(63), { dev: readFailed(error, at(62)) }).kind).toBe('wait');
    expect(verdictAt(at(64), { dev: readOk(reading('Dev', at(64))) }).kind).toBe('approve');
  });

  it.each<[string, World, string]>([
    ['the halt flag', { halt: readFailed('control parameter /tollgate/Tollgate/halt is unreadable: not JSON', at(62)) }, 'cannot read the halt flag for 1 min, retrying'],
    ['the release calendar', { releaseWindows: new Map([['exec-1', readFailed<ReleaseWindow | undefined>('unknown timezone Mars/Olympus', at(62))]]) }, 'cannot read the release calendar for 1 min, retrying'],
    ["prod's health", { prod: readFailed('AssumeRole prod: Throttling', at(62)) }, 'cannot read prod health for 1 min, retrying'],
  ])('applies to %s too', (_, world, summary) => {
    expect(verdictAt(at(63), world)).toMatchObject({ kind: 'wait', summary: expect.stringContaining(summary) });
    expect(verdictAt(at(67), world).kind).toBe('reject');
  });

  it('rejects rather than retries when something else rejects, and lists every rejection', () => {
    const verdict = verdictAt(at(10), { dev: devAlarms(at(10)), prod: readFailed('AssumeRole prod: AccessDenied', at(0)) });
    expect(verdict).toEqual({
      kind: 'reject',
      summary: 'rejected: Dev-Service-Health does not exist in dev; cannot read prod health for 10 min: AssumeRole prod: AccessDenied',
    });
  });

  it('rejects when an environment the bake needs was not read at all', () => {
    const [decision] = decide({ ...inputs(at(63)), environments: new Map([['prod', readOk(reading('Prod', at(63)))]]) }, SETTINGS);
    expect(decision.verdict).toEqual({ kind: 'reject', summary: 'rejected: dev was not read' });
  });
});

describe('the promotion target (prod)', () => {
  const roleMissing = (since: Date) => readFailed<EnvironmentReading>('AssumeRole arn:aws:iam::333333333333:role/Tollgate-AlarmReader: AccessDenied', since, true);

  // Prod in ALARM holds the build, it does not reject it: the build has done nothing wrong; once prod recovers
  // it proceeds by itself, or its approval times out.
  it('holds a baked build while prod health is in ALARM, for as long as it takes', () => {
    const prod = readOk(reading('Prod', at(63), { alarms: [alarm('Prod-Service-Health', 'ALARM', at(30), [], 'LambdaErrors')] }));
    expect(verdictAt(at(63), { prod })).toEqual({ kind: 'wait', summary: 'waiting: prod unhealthy: Prod-Service-Health in ALARM since 10:30:00Z (LambdaErrors)' });
    expect(verdictAt(at(20), { prod }).summary).toBe('waiting: 40 min of dev bake left; prod unhealthy: Prod-Service-Health in ALARM since 10:30:00Z (LambdaErrors)');
    expect(verdictAt(at(60 * 24), { prod }).kind).toBe('wait');
  });

  it('lets prod INSUFFICIENT_DATA through: only ALARM holds', () => {
    const prod = readOk(reading('Prod', at(63), { alarms: [alarm('Prod-Service-Health', 'INSUFFICIENT_DATA', at(30))] }));
    expect(verdictAt(at(63), { prod })).toMatchObject({ kind: 'approve', summary: expect.stringContaining('Prod-Service-Health INSUFFICIENT_DATA') });
  });

  it('approves the first release, when the Prod stage never ran and its reader role does not exist yet', () => {
    const verdict = verdictAt(at(63), { prod: roleMissing(at(0)), stagesRun: new Set(['Dev']) });
    expect(verdict.kind).toBe('approve');
    expect(verdict.summary).toContain('prod not deployed yet');
  });

  it('treats a missing reader role as a failed read once the Prod stage has run', () => {
    expect(verdictAt(at(63), { prod: roleMissing(at(62)) })).toMatchObject({ kind: 'wait', summary: expect.stringContaining('cannot read prod health for 1 min, retrying (rejects after 5 min)') });
    expect(verdictAt(at(63), { prod: roleMissing(at(58)) })).toMatchObject({ kind: 'reject', summary: expect.stringContaining('cannot read prod health for 5 min') });
  });

  it("rejects when prod's health alarm does not exist though prod can be read", () => {
    expect(verdictAt(at(63), { prod: readOk(reading('Prod', at(63), { alarms: [] })) })).toEqual({ kind: 'reject', summary: 'rejected: Prod-Service-Health does not exist in prod' });
  });
});

describe('the prod bake', () => {
  const prodOnly = { approvals: [prodBake()] };

  it('approves a clean prod bake after its minutes and the alarm latency', () => {
    expect(verdictAt(at(100), prodOnly).summary).toBe('waiting: 20 min of prod bake left');
    expect(verdictAt(at(122, 59), prodOnly).kind).toBe('wait');
    expect(verdictAt(at(123), prodOnly)).toEqual({
      kind: 'approve',
      summary: 'approved: 30 min prod bake clean; Prod-Service-Health OK, no ALARM since 11:30:00Z; synthetic checks ran in 33 of 33 min (100%, minimum 90%)',
    });
  });

  it('rejects when a prod alarm enters ALARM at minute 10 of the prod bake', () => {
    const prod = readOk(reading('Prod', at(101), { alarms: [alarm('Prod-Service-Health', 'ALARM', at(100), [change(at(100), 'OK', 'ALARM', 'canary errors')], 'canary errors')] }));
    expect(verdictAt(at(101), { ...prodOnly, prod })).toEqual({ kind: 'reject', summary: 'rejected: Prod-Service-Health entered ALARM at 11:40:00Z (reason: canary errors)' });
  });

  it('rejects when dev went into ALARM while dev still ran this build', () => {
    const dev = devAlarms(at(101), alarm('Dev-Service-Health', 'OK', at(80), [change(at(75), 'OK', 'ALARM', 'dev 5xx'), change(at(80), 'ALARM', 'OK')]));
    expect(verdictAt(at(101), { ...prodOnly, dev })).toEqual({
      kind: 'reject',
      summary: 'rejected: Dev-Service-Health entered ALARM at 11:15:00Z (reason: dev 5xx), while dev still ran this build',
    });
  });

  it('does not reject for a dev ALARM after a newer build started deploying in dev', () => {
    const upstreamSpans = new Map([['exec-1', readOk({ start: T0, end: at(95) })]]);
    const dev = devAlarms(at(123), alarm('Dev-Service-Health', 'ALARM', at(100), [change(at(100), 'OK', 'ALARM', 'the newer build')], 'the newer build'));
    expect(verdictAt(at(123), { ...prodOnly, dev, upstreamSpans }).kind).toBe('approve');
  });

  it.each<[string, GateInputs['upstreamSpans'], string, string]>([
    ['when dev ran the build cannot be read yet', new Map([['exec-1', readFailed('ListActionExecutions: Throttling', at(122))]]), 'wait', 'cannot read when dev ran this build for 1 min, retrying'],
    ['the failure persists', new Map([['exec-1', readFailed('ListActionExecutions: Throttling', at(110))]]), 'reject', 'cannot read when dev ran this build for 13 min'],
    ['the span was not read at all', new Map(), 'reject', 'when dev ran this build was not read'],
  ])('fails closed when %s', (_, upstreamSpans, kind, summary) => {
    expect(verdictAt(at(123), { ...prodOnly, upstreamSpans })).toMatchObject({ kind, summary: expect.stringContaining(summary) });
  });

  it('promotes nothing, so neither the calendar nor the halt-free next environment is asked about', () => {
    const releaseWindows = new Map([['exec-1', readOk<ReleaseWindow | undefined>({ open: false, reasons: ['Friday'] })]]);
    expect(verdictAt(at(123), { ...prodOnly, releaseWindows }).kind).toBe('approve');
  });
});

describe('upstreamSpan: while dev still ran this build', () => {
  const upstream = { stageName: 'Dev', actionName: 'Bake' };
  const runs: ActionRun[] = [
    { stageName: 'Dev', actionName: 'Deploy', startedAt: at(-20), lastUpdatedAt: at(-1) },
    { stageName: 'Dev', actionName: 'Bake', startedAt: T0, lastUpdatedAt: at(63) },
    { stageName: 'Prod', actionName: 'ProdBake', startedAt: P0 },
  ];
  const stage = (latestExecutionId: string, ...changes: (Date | undefined)[]): StageView => ({
    latestExecutionId,
    actionChanges: changes.map((c, i) => ({ actionName: `action-${i}`, at: c })),
  });

  it.each<[string, StageView | undefined, Date]>([
    ['dev still runs this build: until now', stage('exec-1', at(-1), at(63)), at(100)],
    ['the pipeline shows no Dev stage: until now', undefined, at(100)],
    ['a newer build deploys in dev: until its first action change after this bake ended', stage('exec-2', at(63), at(95), at(80), undefined), at(80)],
    ['a newer execution without any action change after this bake: until now', stage('exec-2', at(50), at(63)), at(100)],
  ])('%s', (_, view, end) => {
    expect(upstreamSpan(runs, view, upstream, 'exec-1', at(100))).toEqual({ start: T0, end });
  });

  it('throws when the execution has no run of the upstream bake', () => {
    expect(() => upstreamSpan(runs.slice(2), stage('exec-1'), upstream, 'exec-1', at(100))).toThrow('execution exec-1 has no Dev/Bake run');
  });
});

describe('halt and release calendar', () => {
  const flag = { halted: true, reason: 'incident 4711', by: 'arn:aws:sts::111111111111:assumed-role/oncall/alice', at: '2026-03-10T10:30:00Z' };

  it('never approves while halted, and says who halted it and why', () => {
    expect(verdictAt(at(63), { halt: readOk(flag) })).toEqual({
      kind: 'wait',
      summary: 'waiting: halted by arn:aws:sts::111111111111:assumed-role/oncall/alice at 2026-03-10T10:30:00Z: incident 4711',
    });
    expect(verdictAt(at(60 * 24 * 3), { halt: readOk(flag) }).kind).toBe('wait');
  });

  it('halts the prod bake too', () => {
    expect(verdictAt(at(123), { approvals: [prodBake()], halt: readOk(flag) }).kind).toBe('wait');
  });

  it('approves once the halt is lifted', () => {
    expect(verdictAt(at(63), { halt: readOk({ ...flag, halted: false }) }).kind).toBe('approve');
  });

  const window = (w: ReleaseWindow | undefined) => new Map([['exec-1', readOk<ReleaseWindow | undefined>(w)]]);

  it('queues a baked build while the calendar is closed', () => {
    expect(verdictAt(at(63), { releaseWindows: window({ open: false, reasons: ['Friday'], nextOpen: '2026-03-16T09:00:00-04:00' }) })).toEqual({
      kind: 'wait',
      summary: 'waiting: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    });
  });

  it('does not start prod so late that its deploy and bake would outlast the window', () => {
    expect(verdictAt(at(63), { releaseWindows: window({ open: true, reasons: [], closesAt: at(63 + 49).toISOString() }) }).summary).toBe(
      'waiting: too late to start prod: the window closes at 11:52:00Z and prod deploy + bake take 50 min',
    );
    expect(verdictAt(at(63), { releaseWindows: window({ open: true, reasons: [], closesAt: at(63 + 50).toISOString() }) }).kind).toBe('approve');
  });

  it('names what opened a closed calendar (a break-glass override) first in the approval', () => {
    const overridden = window({ open: true, reasons: ['break-glass override by arn:aws:sts::111111111111:assumed-role/OnCall/alice at 2026-03-13T17:00:00-04:00: hotfix'] });
    expect(verdictAt(at(63), { releaseWindows: overridden })).toEqual({
      kind: 'approve',
      summary: expect.stringMatching(
        /^approved: 1 h dev bake clean; release calendar opened by break-glass override by arn:aws:sts::111111111111:assumed-role\/OnCall\/alice at 2026-03-13T17:00:00-04:00: hotfix; /,
      ),
    });
  });

  it('approves when no calendar is configured', () => {
    expect(verdictAt(at(63), { releaseWindows: window(undefined) }).kind).toBe('approve');
  });

  it('rejects a closing time it cannot read', () => {
    expect(verdictAt(at(63), { releaseWindows: window({ open: true, reasons: [], closesAt: 'soon' }) })).toEqual({
      kind: 'reject',
      summary: 'rejected: the release calendar gave an unreadable closing time "soon"',
    });
  });
});

describe('several pending approvals', () => {
  it('decides each by its own bake start and its own bake', () => {
    const dev = devAlarms(at(98), alarm('Dev-Service-Health', 'OK', at(31), [change(at(30), 'OK', 'ALARM', 'spike'), change(at(31), 'ALARM', 'OK')]));
    const approvals = [devBake('old', at(0)), devBake('new', at(35)), devBake('newer', at(200)), prodBake('older', at(60))];
    const upstreamSpans = new Map([['older', readOk({ start: at(-60), end: at(0) })]]);
    const decisions = decide(inputs(at(98), { approvals, dev, upstreamSpans }), SETTINGS);
    expect(decisions.map((d) => [d.approval.pipelineExecutionId, d.verdict.kind])).toEqual([
      ['old', 'reject'],
      ['new', 'approve'],
      ['newer', 'wait'],
      ['older', 'approve'],
    ]);
  });
});

describe('the summary', () => {
  it('stays within the 512 characters CodePipeline takes', () => {
    const dev = devAlarms(at(6), alarm('Dev-Service-Health', 'ALARM', at(5), [change(at(5), 'OK', 'ALARM', 'x'.repeat(2000))]));
    const verdict = verdictAt(at(6), { dev });
    expect(verdict.summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(verdict.summary.startsWith('rejected: Dev-Service-Health entered ALARM at 10:05:00Z (reason: xxx')).toBe(true);
    expect(verdict.summary.endsWith('…')).toBe(true);
  });

  it('is left whole at exactly 512 characters', () => {
    const reason = 'x'.repeat(MAX_SUMMARY_LENGTH - 'rejected: Dev-Service-Health entered ALARM at 10:05:00Z (reason: )'.length);
    const dev = devAlarms(at(6), alarm('Dev-Service-Health', 'ALARM', at(5), [change(at(5), 'OK', 'ALARM', reason)]));
    const verdict = verdictAt(at(6), { dev });
    expect(verdict.summary).toHaveLength(MAX_SUMMARY_LENGTH);
    expect(verdict.summary.endsWith('x)')).toBe(true);
  });

  it('dates times of another day in full (a 12-hour bake)', () => {
    const settings = withBake(SETTINGS, 'Dev', { minutes: 12 * 60 });
    const start = new Date('2026-03-10T20:00:00Z');
    const now = new Date('2026-03-11T08:00:00Z');
    const dev = devAlarms(now, alarm('Dev-Service-Health', 'OK', new Date('2026-03-10T21:10:00Z'), [change(new Date('2026-03-10T21:05:00Z'), 'OK', 'ALARM', 'throttles'), change(new Date('2026-03-10T21:10:00Z'), 'ALARM', 'OK')]));
    expect(verdictAt(now, { approvals: [devBake('exec-1', start)], dev }, settings).summary).toBe(
      'rejected: Dev-Service-Health entered ALARM at 2026-03-10T21:05:00Z (reason: throttles)',
    );
  });
});

describe('the alarm event fast path', () => {
  const accounts = new Map([
    ['dev', { account: '222222222222', region: 'us-east-1' }],
    ['prod', { account: '333333333333', region: 'us-east-1' }],
  ]);
  const event = (overrides: Partial<AlarmEvent> = {}): AlarmEvent => ({
    account: '222222222222',
    alarmName: 'Dev-Service-Health',
    state: 'ALARM',
    reason: '5xx above 1%',
    at: at(42, 7),
    ...overrides,
  });
  const prodEvent = (overrides: Partial<AlarmEvent> = {}) => event({ account: '333333333333', alarmName: 'Prod-Service-Health', at: at(100), ...overrides });

  it('rejects every dev bake that started before a dev alarm', () => {
    expect(rejectionsForAlarmEvent(event(), [devBake('a', at(0)), devBake('b', at(50))], SETTINGS, accounts, at(42, 8))).toEqual([
      { approval: devBake('a', at(0)), verdict: { kind: 'reject', summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: 5xx above 1%)' } },
    ]);
  });

  it('rejects a prod bake for a prod alarm', () => {
    expect(rejectionsForAlarmEvent(prodEvent({ reason: 'canary' }), [prodBake()], SETTINGS, accounts, at(101))).toEqual([
      { approval: prodBake(), verdict: { kind: 'reject', summary: 'rejected: Prod-Service-Health entered ALARM at 11:40:00Z (reason: canary)' } },
    ]);
  });

  it.each<[string, AlarmEvent, PendingApproval]>([
    ['an out-of-order event from before the bake', event({ at: at(-1) }), devBake()],
    ['a recovery', event({ state: 'OK' }), devBake()],
    ['INSUFFICIENT_DATA', event({ state: 'INSUFFICIENT_DATA' }), devBake()],
    ['the same alarm name in another account', event({ account: '444444444444' }), devBake()],
    ['the same alarm name in another region of the account', event({ region: 'eu-west-1' }), devBake()],
    ['an unwatched alarm', event({ alarmName: 'Other' }), devBake()],
    ['a prod alarm during a dev bake (prod is held, not the build)', prodEvent({ at: at(30) }), devBake()],
    ['a dev alarm during a prod bake (the reconcile judges the upstream span)', event({ at: at(100) }), prodBake()],
  ])('rejects nothing by itself for %s', (_, e, approval) => {
    expect(rejectionsForAlarmEvent(e, [approval], SETTINGS, accounts, at(101))).toEqual([]);
  });

  it('gives the same decision for a duplicate event', () => {
    const approvals = [devBake('a', at(0))];
    const first = rejectionsForAlarmEvent(event(), approvals, SETTINGS, accounts, at(43));
    expect(first).toHaveLength(1);
    expect(rejectionsForAlarmEvent(event(), approvals, SETTINGS, accounts, at(43))).toEqual(first);
  });
});

describe('wording', () => {
  it('writes times on the same day short and others in full', () => {
    expect(clock(new Date('2026-03-10T10:42:07.123Z'), new Date('2026-03-10T23:00:00Z'))).toBe('10:42:07Z');
    expect(clock(new Date('2026-03-09T10:42:07Z'), new Date('2026-03-10T01:00:00Z'))).toBe('2026-03-09T10:42:07Z');
  });
});
