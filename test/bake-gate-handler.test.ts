import { ApprovalOutcome, GatePort, PipelineControls, PipelineView } from '../lambdas/bake-gate/adapter';
import { AlarmReading, noReleaseCalendar, PendingApproval, ReleaseWindowProvider, ReleaseWindowQuery } from '../lambdas/bake-gate/core';
import { createGate, gateFromEnvironment, GateLog } from '../lambdas/bake-gate/index';
import { calendarReleaseWindow, RELEASE_CALENDAR_ENV, releaseWindowFromEnvironment } from '../lambdas/bake-gate/release-window';
import { GATE_SETTINGS_ENV, GateSettings } from '../lambdas/bake-gate/settings';
import { DEFAULT_CALENDAR_SETTINGS } from '../lambdas/shared/release-calendar';
import { gateSettings } from './bake-gate-fixtures';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);

const SETTINGS = gateSettings();

/** An in-memory AWS: one pipeline with approvals that can be decided once, alarms, controls, a topic. */
class FakeAws implements GatePort {
  approvals: PendingApproval[] = [{ pipelineExecutionId: 'exec-1', token: 'tok-1', bakeStartedAt: T0 }];
  prodDeployed = true;
  devAlarms: AlarmReading[] = [{ name: 'Dev-Service-Health', state: 'OK', reason: 'fine', since: at(-100), changes: [] }];
  prodHealth: AlarmReading | undefined = { name: 'Prod-Service-Health', state: 'OK', reason: 'fine', since: at(-100), changes: [] };
  controls: PipelineControls = { halt: undefined, parameters: new Map() };
  results: { token: string; status: string; summary: string }[] = [];
  published: { subject: string; message: string }[] = [];
  calls: string[] = [];
  publishFails = false;
  /** A pipeline state that lags behind: what GetPipelineState still shows after a decision. */
  staleApprovals: PendingApproval[] | undefined;

  async readPipeline(): Promise<PipelineView> {
    this.calls.push('readPipeline');
    return { approvals: [...(this.staleApprovals ?? this.approvals)], prodDeployed: this.prodDeployed };
  }
  async readDevAlarms(): Promise<AlarmReading[]> {
    this.calls.push('readDevAlarms');
    return this.devAlarms;
  }
  async readProdHealth(): Promise<AlarmReading | undefined> {
    this.calls.push('readProdHealth');
    return this.prodHealth;
  }
  async readRequests() {
    this.calls.push('readRequests');
    return [];
  }
  async readControls(): Promise<PipelineControls> {
    this.calls.push('readControls');
    return this.controls;
  }
  async putApprovalResult(approval: PendingApproval, status: 'Approved' | 'Rejected', summary: string): Promise<ApprovalOutcome> {
    this.calls.push(`put${status}`);
    // Like CodePipeline: a token answers once; the approval then leaves the pipeline state.
    const pending = this.approvals.find((a) => a.token === approval.token);
    if (!pending) return 'already-decided';
    this.approvals = this.approvals.filter((a) => a !== pending);
    this.results.push({ token: approval.token, status, summary });
    return 'recorded';
  }
  async publish(subject: string, message: string): Promise<void> {
    this.calls.push('publish');
    if (this.publishFails) throw new Error('Publish: AuthorizationError');
    this.published.push({ subject, message });
  }
}

const silent: GateLog = { info: () => undefined, error: () => undefined };

function alarmEvent(overrides: { account?: string; alarmName?: string; value?: string; timestamp?: string } = {}) {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: overrides.account ?? '222222222222',
    time: '2026-03-10T10:42:07Z',
    region: 'us-east-1',
    resources: ['arn:aws:cloudwatch:us-east-1:222222222222:alarm:Dev-Service-Health'],
    detail: {
      alarmName: overrides.alarmName ?? 'Dev-Service-Health',
      state: { value: overrides.value ?? 'ALARM', reason: 'Dev-Service-Api5xxRate in ALARM', timestamp: overrides.timestamp ?? '2026-03-10T10:42:07.123+0000' },
      previousState: { value: 'OK', reason: 'fine', timestamp: '2026-03-10T09:00:00.000+0000' },
    },
  };
}

const schedule = { 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111111111111', time: '2026-03-10T11:00:00Z', detail: {} };

const bakeStarted = {
  'detail-type': 'CodePipeline Action Execution State Change',
  source: 'aws.codepipeline',
  account: '111111111111',
  time: '2026-03-10T10:00:00Z',
  detail: { pipeline: 'Tollgate', 'execution-id': 'exec-1', stage: 'Dev', action: 'Bake', state: 'STARTED', type: { category: 'Approval' } },
};

function gate(aws: FakeAws, now: Date, extra: { releaseWindow?: ReleaseWindowProvider; settings?: GateSettings } = {}) {
  return createGate({ port: aws, settings: extra.settings ?? SETTINGS, now: () => now, log: silent, releaseWindow: extra.releaseWindow });
}

describe('the alarm event path (halt fast)', () => {
  it('rejects from the event alone: no alarm reads, one approval result, one announcement', async () => {
    const aws = new FakeAws();
    const report = await gate(aws, at(42.2))(alarmEvent());
    expect(aws.calls).toEqual(['readPipeline', 'putRejected', 'publish']);
    expect(aws.results).toEqual([
      { token: 'tok-1', status: 'Rejected', summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: Dev-Service-Api5xxRate in ALARM)' },
    ]);
    expect(aws.published[0].subject).toBe('Tollgate Tollgate: build rejected in the Dev bake');
    expect(aws.published[0].message).toContain('execution exec-1');
    expect(report).toEqual({
      trigger: 'alarm',
      decisions: [{ pipelineExecutionId: 'exec-1', verdict: 'reject', summary: aws.results[0].summary, outcome: 'recorded' }],
    });
  });

  it('does no harm on a duplicate event, and announces once', async () => {
    const aws = new FakeAws();
    aws.staleApprovals = [...aws.approvals];
    const g = gate(aws, at(43));
    await g(alarmEvent());
    const second = await g(alarmEvent());
    expect(second.decisions[0]).toMatchObject({ verdict: 'reject', outcome: 'already-decided' });
    expect(aws.results).toHaveLength(1);
    expect(aws.published).toHaveLength(1);
  });

  it('does not reject for an event older than the bake (out of order)', async () => {
    const aws = new FakeAws();
    aws.approvals = [{ pipelineExecutionId: 'exec-2', token: 'tok-2', bakeStartedAt: at(50) }];
    const report = await gate(aws, at(51))(alarmEvent());
    expect(report.decisions).toEqual([]);
    expect(aws.results).toEqual([]);
  });

  it('reconciles on a recovery or a prod alarm, which reject nothing by themselves', async () => {
    const aws = new FakeAws();
    await gate(aws, at(61))(alarmEvent({ value: 'OK' }));
    expect(aws.calls).toContain('readDevAlarms');
    expect(aws.results.map((r) => r.status)).toEqual(['Approved']);

    const prodBurning = new FakeAws();
    prodBurning.prodHealth = { name: 'Prod-Service-Health', state: 'ALARM', reason: 'errors', since: at(55), changes: [] };
    const report = await gate(prodBurning, at(61))(alarmEvent({ account: '333333333333', alarmName: 'Prod-Service-Health' }));
    expect(report.decisions[0]).toMatchObject({ verdict: 'wait', summary: expect.stringContaining('prod unhealthy') });
    expect(prodBurning.results).toEqual([]);
  });

  it('refuses an event it cannot read, naming the field', async () => {
    const g = gate(new FakeAws(), at(1));
    await expect(g(alarmEvent({ timestamp: 'yesterday' }))).rejects.toThrow(
      'unusable event: detail.state.timestamp must be a time, got "yesterday"',
    );
    await expect(g(alarmEvent({ value: 'RED' }))).rejects.toThrow('detail.state.value must be one of OK, ALARM, INSUFFICIENT_DATA, got "RED"');
    await expect(g({ source: 'aws.s3', 'detail-type': 'Object Created' })).rejects.toThrow(
      'unusable event: source/detail-type is not one the bake gate handles, got "aws.s3/Object Created"',
    );
    await expect(g('hello')).rejects.toThrow('unusable event: event must be an object, got "hello"');
  });
});

describe('the reconcile (schedule and bake start)', () => {
  it('approves a clean bake at its end, and approving twice does no harm', async () => {
    const aws = new FakeAws();
    expect((await gate(aws, at(59))(schedule)).decisions[0].verdict).toBe('wait');
    expect(aws.results).toEqual([]);
    aws.staleApprovals = [...aws.approvals];
    await gate(aws, at(60))(schedule);
    const again = await gate(aws, at(61))(schedule);
    expect(again.decisions[0]).toMatchObject({ verdict: 'approve', outcome: 'already-decided' });
    expect(aws.results.map((r) => r.status)).toEqual(['Approved']);
    expect(aws.published).toEqual([]);
  });

  it('approving after a reject does no harm', async () => {
    const aws = new FakeAws();
    aws.staleApprovals = [...aws.approvals];
    await gate(aws, at(43))(alarmEvent());
    // The alarm event's rejection is not in the (clean) history fake: a later reconcile would approve.
    const late = await gate(aws, at(61))(schedule);
    expect(late.decisions[0]).toMatchObject({ verdict: 'approve', outcome: 'already-decided' });
    expect(aws.results.map((r) => r.status)).toEqual(['Rejected']);
  });

  it('reads only the pipeline when nothing is waiting', async () => {
    const aws = new FakeAws();
    aws.approvals = [];
    expect(await gate(aws, at(1))(schedule)).toEqual({ trigger: 'schedule', decisions: [] });
    expect(aws.calls).toEqual(['readPipeline']);
  });

  it('checks a bake as soon as it starts', async () => {
    const aws = new FakeAws();
    aws.devAlarms = [];
    const report = await gate(aws, at(0))(bakeStarted);
    expect(report.trigger).toBe('bake-started');
    expect(aws.results).toEqual([{ token: 'tok-1', status: 'Rejected', summary: 'rejected: Dev-Service-Health does not exist in dev' }]);
  });

  it('does not read prod before the pipeline ever deployed it', async () => {
    const aws = new FakeAws();
    aws.prodDeployed = false;
    await gate(aws, at(60))(schedule);
    expect(aws.calls).not.toContain('readProdHealth');
    expect(aws.results[0].summary).toContain('prod never deployed');
  });

  it('reads the request metric only when a minimum is configured', async () => {
    const aws = new FakeAws();
    await gate(aws, at(60))(schedule);
    expect(aws.calls).not.toContain('readRequests');
    const counting = new FakeAws();
    await gate(counting, at(60), { settings: { ...SETTINGS, minimumRequests: 10 } })(schedule);
    expect(counting.calls).toContain('readRequests');
    expect(counting.results).toEqual([]);
  });

  it('rejects, saying what failed, when a read fails', async () => {
    const aws = new FakeAws();
    aws.readDevAlarms = async () => {
      throw new Error('DescribeAlarms in dev (222222222222): InternalFailure: boom (HTTP 500, 3 attempts)');
    };
    await gate(aws, at(10))(schedule);
    expect(aws.results[0]).toMatchObject({
      status: 'Rejected',
      summary: 'rejected: cannot read dev alarms: Error: DescribeAlarms in dev (222222222222): InternalFailure: boom (HTTP 500, 3 attempts)',
    });
  });

  it('holds while halted', async () => {
    const aws = new FakeAws();
    aws.controls = { halt: { halted: true, reason: 'incident', by: 'alice', at: '2026-03-10T10:30:00Z' }, parameters: new Map() };
    const report = await gate(aws, at(61))(schedule);
    expect(report.decisions[0]).toMatchObject({ verdict: 'wait', summary: 'waiting: halted by alice at 2026-03-10T10:30:00Z: incident' });
    expect(aws.results).toEqual([]);
  });

  it('fails the invocation when the announcement fails, but keeps the rejection', async () => {
    const aws = new FakeAws();
    aws.publishFails = true;
    await expect(gate(aws, at(43))(alarmEvent())).rejects.toThrow('Publish: AuthorizationError');
    expect(aws.results.map((r) => r.status)).toEqual(['Rejected']);
  });
});

describe('the release calendar seam', () => {
  it('asks the calendar per execution with the run-time controls, and queues while it is closed', async () => {
    const aws = new FakeAws();
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/freezes', '[]']]) };
    const queries: ReleaseWindowQuery[] = [];
    const calendar: ReleaseWindowProvider = async (q) => {
      queries.push(q);
      return { open: false, reasons: ['Friday'], nextOpen: '2026-03-16T13:00:00Z' };
    };
    const report = await gate(aws, at(60), { releaseWindow: calendar })(schedule);
    expect(queries).toEqual([{ now: at(60), pipelineExecutionId: 'exec-1', controls: aws.controls.parameters }]);
    expect(report.decisions[0].summary).toBe('waiting: release calendar closed: Friday; opens 2026-03-16T13:00:00Z');
  });

  it('rejects when the calendar throws', async () => {
    const aws = new FakeAws();
    const broken: ReleaseWindowProvider = () => {
      throw new Error('unknown holiday country XX');
    };
    await gate(aws, at(60), { releaseWindow: broken })(schedule);
    expect(aws.results[0].summary).toBe('rejected: cannot read the release calendar: Error: unknown holiday country XX');
  });

  it('has no calendar by default', async () => {
    const aws = new FakeAws();
    await gate(aws, at(60))(schedule);
    expect(aws.results.map((r) => r.status)).toEqual(['Approved']);
  });
});

describe('with the real release calendar (Mon–Thu 09:00–16:00 America/New_York, US holidays)', () => {
  const calendar = calendarReleaseWindow(DEFAULT_CALENDAR_SETTINGS, 'Tollgate');
  const ONCALL = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice';
  /** A build whose bake started on Thursday 2026-03-12 at 15:00 New York time (19:00Z) and ended at 16:00. */
  function thursdayBuild(): FakeAws {
    const aws = new FakeAws();
    aws.approvals = [{ pipelineExecutionId: 'exec-1', token: 'tok-1', bakeStartedAt: new Date('2026-03-12T19:00:00Z') }];
    return aws;
  }
  const check = (aws: FakeAws, now: string) => gate(aws, new Date(now), { releaseWindow: calendar })(schedule);

  it('queues a baked build over the weekend, not failing it, and promotes it by itself when the window opens', async () => {
    const aws = thursdayBuild();
    expect((await check(aws, '2026-03-12T20:01:00Z')).decisions[0].summary).toBe(
      'waiting: release calendar closed: outside Mon–Thu 09:00–16:00 America/New_York; opens 2026-03-16T09:00:00-04:00',
    );
    expect((await check(aws, '2026-03-13T15:00:00Z')).decisions[0].summary).toBe(
      'waiting: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    );
    expect((await check(aws, '2026-03-16T12:59:00Z')).decisions[0].verdict).toBe('wait');
    expect(aws.results).toEqual([]);
    await check(aws, '2026-03-16T13:00:00Z');
    expect(aws.results.map((r) => r.status)).toEqual(['Approved']);
    expect(aws.published).toEqual([]);
  });

  it('does not start prod in the last 50 minutes of a window', async () => {
    const aws = thursdayBuild();
    expect((await check(aws, '2026-03-16T19:11:00Z')).decisions[0].summary).toBe(
      'waiting: too late to start prod: the window closes at 20:00:00Z and prod deploy + bake take 50 min',
    );
  });

  it("holds for on-call's run-time freeze read from the controls", async () => {
    const aws = thursdayBuild();
    const freeze = { name: 'incident-4711', reason: 'checkout errors', by: ONCALL, at: '2026-03-16T08:00:00-04:00', end: '2026-03-17T12:00:00-04:00' };
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/freezes', JSON.stringify([freeze])]]) };
    expect((await check(aws, '2026-03-16T14:00:00Z')).decisions[0].summary).toBe(
      'waiting: release calendar closed: freeze: incident-4711 until 2026-03-17T12:00:00-04:00; opens 2026-03-17T12:00:00-04:00',
    );
  });

  it('break-glass: the override of this execution lets it through on a Friday evening, says who and why, and announces it', async () => {
    const aws = thursdayBuild();
    const override = { reason: 'hotfix for INC-4711', by: ONCALL, at: '2026-03-13T16:55:00-04:00' };
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/override/exec-1', JSON.stringify(override)]]) };
    await check(aws, '2026-03-13T21:00:00Z');
    expect(aws.results).toEqual([
      {
        token: 'tok-1',
        status: 'Approved',
        summary: expect.stringMatching(
          /^approved: 1 h bake clean; release calendar opened by break-glass override by arn:aws:sts::111111111111:assumed-role\/OnCall\/alice at 2026-03-13T16:55:00-04:00: hotfix for INC-4711; /,
        ),
      },
    ]);
    expect(aws.published).toEqual([
      {
        subject: 'Tollgate Tollgate: promoted outside the release calendar',
        message: expect.stringContaining('execution exec-1: promoted to prod under a break-glass override of the release calendar.'),
      },
    ]);
  });

  it('the override bypasses the calendar only: an alarm during the bake still rejects', async () => {
    const aws = thursdayBuild();
    aws.devAlarms = [
      { name: 'Dev-Service-Health', state: 'OK', reason: 'fine', since: new Date('2026-03-12T19:40:00Z'), changes: [
        { at: new Date('2026-03-12T19:30:00Z'), from: 'OK', to: 'ALARM', reason: '5xx' },
        { at: new Date('2026-03-12T19:40:00Z'), from: 'ALARM', to: 'OK', reason: 'fine' },
      ] },
    ];
    const override = { reason: 'hotfix', by: ONCALL, at: '2026-03-13T16:55:00-04:00' };
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/override/exec-1', JSON.stringify(override)]]) };
    await check(aws, '2026-03-13T21:00:00Z');
    expect(aws.results.map((r) => r.status)).toEqual(['Rejected']);
  });

  it("another execution's override changes nothing; an unreadable one rejects", async () => {
    const aws = thursdayBuild();
    const override = JSON.stringify({ reason: 'hotfix', by: ONCALL, at: '2026-03-13T16:55:00-04:00' });
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/override/exec-2', override]]) };
    expect((await check(aws, '2026-03-13T21:00:00Z')).decisions[0].verdict).toBe('wait');
    aws.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/override/exec-1', 'yes please']]) };
    await check(aws, '2026-03-13T21:00:00Z');
    expect(aws.results[0]).toMatchObject({
      status: 'Rejected',
      summary: 'rejected: cannot read the release calendar: ControlParseError: control parameter /tollgate/Tollgate/override/exec-1 is unreadable: not JSON: "yes please"',
    });
  });
});

describe('the deployed function', () => {
  it('reads the release calendar from its environment and refuses to start with one it cannot read', () => {
    const env = { [GATE_SETTINGS_ENV]: JSON.stringify(SETTINGS), BAKE_GATE_TOPIC_ARN: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events' };
    expect(gateFromEnvironment({ ...env, [RELEASE_CALENDAR_ENV]: JSON.stringify(DEFAULT_CALENDAR_SETTINGS) })).toEqual(expect.any(Function));
    expect(() => gateFromEnvironment({ ...env, [RELEASE_CALENDAR_ENV]: JSON.stringify({ timezone: 'Mars/Olympus_Mons' }) })).toThrow(
      'invalid configuration: calendar.timezone must be an IANA time zone like "America/New_York", got "Mars/Olympus_Mons"',
    );
    expect(() => gateFromEnvironment({ ...env, [RELEASE_CALENDAR_ENV]: '{' })).toThrow(SyntaxError);
    expect(releaseWindowFromEnvironment(undefined, 'Tollgate')).toBe(noReleaseCalendar);
  });

  it('refuses to start without readable settings, naming the variable and the field', () => {
    expect(() => gateFromEnvironment({})).toThrow(`invalid ${GATE_SETTINGS_ENV}: (the whole value) must be JSON, got undefined`);
    const bad = JSON.stringify({ ...SETTINGS, bakeMinutes: 0 });
    expect(() => gateFromEnvironment({ [GATE_SETTINGS_ENV]: bad })).toThrow(`invalid ${GATE_SETTINGS_ENV}: bakeMinutes must be a whole number >= 1, got 0`);
    expect(() => gateFromEnvironment({ [GATE_SETTINGS_ENV]: JSON.stringify(SETTINGS) })).toThrow('BAKE_GATE_TOPIC_ARN must be set');
  });
});
