/**
 * The gate's decision for prod in waves: dev, then Wave1 (one target), then Wave2 (two targets, one in another
 * region); one bake after each, judging every target of its stage, with a fake clock.
 */
import {
  AlarmReading,
  decide,
  EnvironmentReading,
  GateInputs,
  PendingApproval,
  Read,
  readFailed,
  readOk,
  rejectionsForAlarmEvent,
  ReleaseWindow,
} from '@tollgate/constructs/lib/lambdas/bake-gate/core';
import { GateSettings, parseGateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { gateSettings } from './bake-gate-fixtures';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z'); // Wave2's deployments ended: its bake starts
const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * MIN + seconds * 1000);

/** A target of a wave, as the gate settings describe it. */
function target(name: string, account: string, region: string): GateSettings['environments'][number] {
  return {
    name,
    account,
    region,
    readerRoleArn: `arn:aws:iam::${account}:role/Tollgate-AlarmReader`,
    alarmNames: [`${name}-Health`],
    stackName: `${name}-Service`,
    evidence: {
      syntheticChecks: {
        metric: { namespace: 'CloudWatchSynthetics', metricName: 'SuccessPercent', dimensions: { CanaryName: `${name}-checks` } },
        minimumCoveragePercent: 90,
      },
    },
  };
}

const W1 = ['prod-use1'];
const W2 = ['prod-euw1', 'prod-apse2'];
const base = gateSettings();
const bakeOf = { minutes: 30, evidenceGraceMinutes: 20, allowNoTraffic: false };
/** dev → Wave1 → Wave2, each baked; Wave1 and Wave2 checked at their doors. */
const SETTINGS: GateSettings = {
  ...base,
  environments: [base.environments[0], target('prod-use1', '333333333333', 'us-east-1'), target('prod-euw1', '333333333333', 'eu-west-1'), target('prod-apse2', '444444444444', 'ap-southeast-2')],
  bakes: [
    { ...base.bakes[0], promotion: { stageName: 'Wave1', environments: W1, lateStartMinutes: 40 } },
    {
      stageName: 'Wave1',
      actionName: 'Bake',
      environments: W1,
      ...bakeOf,
      upstream: { stageName: 'Dev', actionName: 'Bake', environments: ['dev'] },
      promotion: { stageName: 'Wave2', environments: W2, lateStartMinutes: 40 },
    },
    { stageName: 'Wave2', actionName: 'Bake', environments: W2, ...bakeOf, upstream: { stageName: 'Wave1', actionName: 'Bake', environments: W1 } },
  ],
  entryChecks: [
    {
      stageName: 'Wave2',
      actionName: 'EntryCheck',
      upstream: { stageName: 'Wave1', actionName: 'Bake', environments: W1 },
      promotion: { stageName: 'Wave2', environments: W2, lateStartMinutes: 40 },
    },
  ],
};

const approval = (stageName: string, actionName = 'Bake', start = T0): PendingApproval => ({ pipelineExecutionId: 'exec-1', token: 'tok-1', stageName, actionName, bakeStartedAt: start });

const alarm = (name: string, overrides: Partial<AlarmReading> = {}): AlarmReading => ({
  name,
  state: 'OK',
  reason: 'threshold',
  since: at(-500),
  changes: [],
  actionsEnabled: true,
  ...overrides,
});

/** A healthy target read at `now`: its health alarm OK, a check every minute since before the bake, its stack untouched. */
function healthy(name: string, now: Date, overrides: Partial<EnvironmentReading> = {}): Read<EnvironmentReading> {
  const minutes = Math.max(0, Math.floor((now.getTime() - at(-10).getTime()) / MIN));
  return readOk({
    alarms: [alarm(SETTINGS.environments.find((e) => e.name === name)!.alarmNames[0])],
    configurationChanges: [],
    syntheticRuns: Array.from({ length: minutes }, (_, i) => ({ at: at(-10 + i), value: 1 })),
    stack: { name: `${name}-Service`, lastUpdatedAt: at(-60) },
    ...overrides,
  });
}

/** Every environment healthy at `now`, Wave1 having run this build until now, nothing halted, no calendar; `reads` replaces some. */
function inputs(now: Date, pending: PendingApproval, reads: Record<string, Read<EnvironmentReading>> = {}, overrides: Partial<GateInputs> = {}): GateInputs {
  return {
    now,
    approvals: [pending],
    environments: new Map(SETTINGS.environments.map((e) => [e.name, reads[e.name] ?? healthy(e.name, now)])),
    stagesRun: new Set(['Dev', 'Wave1', 'Wave2']),
    upstreamSpans: new Map([['exec-1', readOk({ start: at(-60), end: now })]]),
    halt: readOk(undefined),
    ...overrides,
  };
}

const verdictOf = (input: GateInputs) => decide(input, SETTINGS)[0].verdict;
/** After Wave2's 30-minute bake and the 3 minutes of alarm latency. */
const DONE = at(33);

describe("a wave's bake", () => {
  it('approves once every target baked clean, naming them', () => {
    expect(verdictOf(inputs(at(10), approval('Wave2'))).summary).toBe('waiting: 20 min of prod-euw1, prod-apse2 bake left');
    const { kind, summary } = verdictOf(inputs(DONE, approval('Wave2')));
    expect(kind).toBe('approve');
    expect(summary).toMatch(/^approved: 30 min prod-euw1, prod-apse2 bake clean; prod-euw1: prod-euw1-Health OK, no ALARM since 10:00:00Z; prod-euw1: synthetic checks ran in 33 of 33 min/);
    expect(summary).toContain('prod-apse2: prod-apse2-Health OK, no ALARM since 10:00:00Z');
  });

  it('rejects the whole wave when one target alarms, naming the target at fault', () => {
    const fired = healthy('prod-apse2', at(12), {
      alarms: [alarm('prod-apse2-Health', { state: 'ALARM', since: at(11, 30), reason: '5xx above 1%' })],
    });
    expect(verdictOf(inputs(at(12), approval('Wave2'), { 'prod-apse2': fired }))).toEqual({
      kind: 'reject',
      summary: 'rejected: prod-apse2: prod-apse2-Health entered ALARM at 10:11:30Z (reason: 5xx above 1%)',
    });
  });

  it('requires evidence from every target: one silent target holds the wave, then rejects it after the grace', () => {
    const silent = healthy('prod-euw1', DONE, { syntheticRuns: [] });
    expect(verdictOf(inputs(DONE, approval('Wave2'), { 'prod-euw1': silent }))).toEqual({
      kind: 'wait',
      summary: 'waiting: prod-euw1: prod-euw1 synthetic checks ran in 0 of 33 min (0%, minimum 90%)',
    });
    const late = at(33 + 20);
    expect(verdictOf(inputs(late, approval('Wave2'), { 'prod-euw1': healthy('prod-euw1', late, { syntheticRuns: [] }) }))).toEqual({
      kind: 'reject',
      summary: 'rejected: no evidence of health 20 min after the bake; prod-euw1: prod-euw1 synthetic checks ran in 0 of 53 min (0%, minimum 90%)',
    });
  });

  it('fails closed for an unreachable target: holds while its read is young, rejects the wave after the tolerance', () => {
    const unreachable = () => readFailed<EnvironmentReading>('AssumeRole arn:aws:iam::444444444444:role/Tollgate-AlarmReader: timeout', at(31));
    expect(verdictOf(inputs(at(33), approval('Wave2'), { 'prod-apse2': unreachable() }))).toEqual({
      kind: 'wait',
      summary:
        'waiting: prod-apse2: cannot read prod-apse2 for 2 min, retrying (rejects after 5 min): AssumeRole arn:aws:iam::444444444444:role/Tollgate-AlarmReader: timeout',
    });
    expect(verdictOf(inputs(at(36), approval('Wave2'), { 'prod-apse2': unreachable() }))).toEqual({
      kind: 'reject',
      summary: 'rejected: prod-apse2: cannot read prod-apse2 for 5 min: AssumeRole arn:aws:iam::444444444444:role/Tollgate-AlarmReader: timeout',
    });
  });

  it("rejects for an ALARM in the previous wave's target while it still ran this build", () => {
    const earlier = healthy('prod-use1', DONE, { alarms: [alarm('prod-use1-Health', { state: 'ALARM', since: at(20), reason: 'latency' })] });
    expect(verdictOf(inputs(DONE, approval('Wave2'), { 'prod-use1': earlier })).summary).toBe(
      'rejected: prod-use1-Health entered ALARM at 10:20:00Z (reason: latency), while prod-use1 still ran this build',
    );
  });
});

describe('between waves', () => {
  const window = (value: ReleaseWindow | undefined) => new Map([['exec-1', readOk(value)]]);
  const closed = window({ open: false, reasons: ['Friday'], nextOpen: '2026-03-16T09:00:00-04:00' });

  it('the bake that promotes into a wave holds while the calendar is closed, and approves once it opens', () => {
    expect(verdictOf(inputs(DONE, approval('Wave1'), {}, { releaseWindows: closed }))).toEqual({
      kind: 'wait',
      summary: 'waiting: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    });
    expect(verdictOf(inputs(DONE, approval('Wave1'), {}, { releaseWindows: window({ open: true, reasons: [] }) })).kind).toBe('approve');
  });

  it("the next wave's entry check holds while the calendar is closed", () => {
    expect(verdictOf(inputs(DONE, approval('Wave2', 'EntryCheck'), {}, { releaseWindows: closed }))).toEqual({
      kind: 'wait',
      summary: 'waiting at entry: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    });
    expect(verdictOf(inputs(DONE, approval('Wave2', 'EntryCheck'))).summary).toMatch(/^entry check passed: prod-use1 clean since its bake started; /);
  });

  it('holds a promotion into a wave while any of its targets is unhealthy, and says too late for all of them', () => {
    const sick = healthy('prod-apse2', DONE, { alarms: [alarm('prod-apse2-Health', { state: 'ALARM', since: at(-5), reason: 'region event' })] });
    expect(verdictOf(inputs(DONE, approval('Wave1'), { 'prod-apse2': sick })).summary).toBe(
      'waiting: prod-apse2 unhealthy: prod-apse2-Health in ALARM since 09:55:00Z (region event)',
    );
    const closing = window({ open: true, reasons: [], closesAt: at(33 + 39).toISOString() });
    expect(verdictOf(inputs(DONE, approval('Wave1'), {}, { releaseWindows: closing })).summary).toBe(
      'waiting: too late to start prod-euw1, prod-apse2: the window closes at 11:12:00Z and prod-euw1, prod-apse2 deploy + bake take 40 min',
    );
  });
});

describe('the alarm fast path in waves', () => {
  const accounts = new Map(SETTINGS.environments.map((e) => [e.name, { account: e.account, region: e.region }]));
  const event = { account: '333333333333', region: 'eu-west-1', alarmName: 'prod-euw1-Health', state: 'ALARM' as const, reason: 'errors', at: at(5) };

  it("rejects the bake of the alarm's wave, naming the target, and nothing else", () => {
    const pending = [approval('Wave1', 'Bake', at(-45)), approval('Wave2')].map((a, i) => ({ ...a, pipelineExecutionId: `exec-${i}` }));
    expect(rejectionsForAlarmEvent(event, pending, SETTINGS, accounts, at(6))).toEqual([
      { approval: pending[1], verdict: { kind: 'reject', summary: 'rejected: prod-euw1: prod-euw1-Health entered ALARM at 10:05:00Z (reason: errors)' } },
    ]);
  });

  it('matches the target by its account and region: the same account in another region rejects nothing', () => {
    expect(rejectionsForAlarmEvent({ ...event, region: 'us-east-1' }, [approval('Wave2')], SETTINGS, accounts, at(6))).toEqual([]);
  });
});

describe('wave settings', () => {
  const parsed = (settings: unknown) => () => parseGateSettings(JSON.stringify(settings));

  it('are read as given', () => {
    expect(parsed(SETTINGS)()).toEqual(SETTINGS);
  });

  it('name the field and value of a target no environment describes, and of a target without evidence', () => {
    const unknown = { ...SETTINGS, bakes: SETTINGS.bakes.map((b, i) => (i === 2 ? { ...b, environments: ['prod-euw1', 'prod-euc1'] } : b)) };
    expect(parsed(unknown)).toThrow('BAKE_GATE_SETTINGS.bakes[2].environments[1] must name one of the environments, got "prod-euc1"');
    const noWave = { ...SETTINGS, bakes: SETTINGS.bakes.map((b, i) => (i === 2 ? { ...b, environments: [] } : b)) };
    expect(parsed(noWave)).toThrow('BAKE_GATE_SETTINGS.bakes[2].environments must list at least 1');
    const blind = { ...SETTINGS, environments: SETTINGS.environments.map((e) => (e.name === 'prod-apse2' ? { ...e, evidence: {} } : e)) };
    expect(parsed(blind)).toThrow('BAKE_GATE_SETTINGS.bakes[2].allowNoTraffic must be true when environment prod-apse2 has no evidence metric, got false');
  });
});
