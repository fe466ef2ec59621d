import { ApprovalOutcome, GatePort, PipelineControls, PipelineView, ReadDepth, ReaderRoleUnavailable } from '@tollgate/constructs/lib/lambdas/bake-gate/adapter';
import { ActionRun, AlarmReading, Datapoint, DecidedApproval, EnvironmentReading, noReleaseCalendar, PendingApproval, ReleaseWindowProvider, ReleaseWindowQuery, StageView } from '@tollgate/constructs/lib/lambdas/bake-gate/core';
import { Announcement, FailureUpdate, GateState } from '@tollgate/constructs/lib/lambdas/bake-gate/gate-state';
import { createGate, gateFromEnvironment, GateLog } from '@tollgate/constructs/lib/lambdas/bake-gate/index';
import { calendarReleaseWindow, RELEASE_CALENDAR_ENV, releaseWindowFromEnvironment } from '@tollgate/constructs/lib/lambdas/bake-gate/release-window';
import { GATE_SETTINGS_ENV, GATE_STATE_TABLE_ENV, GATE_TOPIC_ENV, GateSettings } from '@tollgate/constructs/lib/lambdas/bake-gate/settings';
import { DEFAULT_CALENDAR_SETTINGS } from '@tollgate/constructs/lib/domain/release-calendar';
import { gateSettings, withBake, withEnvironment } from './bake-gate-fixtures';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z'); // the dev bake of exec-1 starts
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const P0 = at(90); // the prod bake of exec-1 starts

const SETTINGS = gateSettings();

const DEV_BAKE: PendingApproval = { pipelineExecutionId: 'exec-1', token: 'tok-1', stageName: 'Dev', actionName: 'Bake', bakeStartedAt: T0 };
const PROD_BAKE: PendingApproval = { pipelineExecutionId: 'exec-1', token: 'tok-p1', stageName: 'Prod', actionName: 'ProdBake', bakeStartedAt: P0 };

const healthy = (name: string, overrides: Partial<AlarmReading> = {}): AlarmReading => ({
  name,
  state: 'OK',
  reason: 'fine',
  since: at(-500),
  changes: [],
  actionsEnabled: true,
  ...overrides,
});

/** One synthetic check result per minute, from long before the bakes on: a canary that never stops. */
function canaryRuns(since: Date, now: Date): Datapoint[] {
  const first = Math.ceil(since.getTime() / MIN);
  return Array.from({ length: Math.max(0, Math.ceil(now.getTime() / MIN) - first) }, (_, i) => ({ at: new Date((first + i) * MIN), value: 1 }));
}

/**
 * An in-memory AWS behind the gate's port: a pipeline whose approvals can be decided once, two environments,
 * the controls, a topic, and a state table that keeps failures and owed announcements the way DynamoDB would.
 */
class FakeGatePort implements GatePort {
  approvals: PendingApproval[] = [DEV_BAKE];
  /** A pipeline state that lags behind: what GetPipelineState still shows after a decision. */
  staleApprovals: PendingApproval[] | undefined;
  stages = new Map<string, StageView>([
    ['Dev', { latestExecutionId: 'exec-1', actionChanges: [] }],
    ['Prod', { latestExecutionId: 'exec-0', actionChanges: [] }],
  ]);
  actionRuns: ActionRun[] = [{ stageName: 'Dev', actionName: 'Bake', startedAt: T0, lastUpdatedAt: at(63) }];
  alarms: Record<string, AlarmReading[]> = { dev: [healthy('Dev-Service-Health')], prod: [healthy('Prod-Service-Health')] };
  /** Errors the next reads of an environment throw, one per read. */
  environmentFailures: Record<string, Error[]> = {};
  controls: PipelineControls = { halt: undefined, parameters: new Map() };
  /** Gate-owned approvals GetPipelineState shows decided, with who decided them. */
  decided: DecidedApproval[] = [];
  // The state table.
  failing = new Map<string, Date>();
  remembered = new Set<string>();
  health: unknown[] = [];
  outbox = new Map<string, Announcement>();
  stateUnreadable = false;
  // What happened.
  results: { token: string; status: string; summary: string }[] = [];
  published: { subject: string; message: string }[] = [];
  publishFailures = 0;
  calls: string[] = [];

  async readPipeline(): Promise<PipelineView> {
    this.calls.push('readPipeline');
    return { approvals: [...(this.staleApprovals ?? this.approvals)], decided: this.decided, stages: this.stages };
  }
  async readEnvironment(name: string, depth: ReadDepth, since: Date, now: Date): Promise<EnvironmentReading> {
    this.calls.push(`readEnvironment ${name} ${depth}`);
    const failure = this.environmentFailures[name]?.shift();
    if (failure) throw failure;
    const title = name === 'dev' ? 'Dev' : 'Prod';
    return {
      alarms: this.alarms[name],
      configurationChanges: [],
      syntheticRuns: canaryRuns(since, now),
      stack: { name: `${title}-Service`, lastUpdatedAt: at(-600) },
    };
  }
  async readActionRuns(): Promise<ActionRun[]> {
    this.calls.push('readActionRuns');
    return this.actionRuns;
  }
  async readControls(): Promise<PipelineControls> {
    this.calls.push('readControls');
    return this.controls;
  }
  async readState(): Promise<GateState> {
    this.calls.push('readState');
    if (this.stateUnreadable) throw new Error('Query Tollgate-BakeGateState: ResourceNotFoundException');
    return { failingSince: new Map(this.failing), outbox: [...this.outbox.values()], remembered: new Set(this.remembered) };
  }
  async remember(id: string): Promise<void> {
    this.calls.push('remember');
    this.remembered.add(id);
  }
  async recordHealth(event: unknown): Promise<void> {
    this.health.push(event);
  }
  waiting = new Map<string, string>();
  async recordWaiting(approval: PendingApproval, waiting?: { summary: string; at: Date }): Promise<void> {
    if (waiting) this.waiting.set(approval.token, waiting.summary);
    else this.waiting.delete(approval.token);
  }
  async recordFailures(update: FailureUpdate): Promise<void> {
    this.calls.push('recordFailures');
    for (const source of update.started) this.failing.set(source, update.failingSince.get(source)!);
    for (const source of update.recovered) this.failing.delete(source);
  }
  async owe(announcement: Announcement): Promise<boolean> {
    this.calls.push('owe');
    // Like a conditional PutItem: an announcement already owed stays as it is.
    if (this.outbox.has(announcement.id)) return false;
    this.outbox.set(announcement.id, announcement);
    return true;
  }
  async paid(announcementId: string): Promise<void> {
    this.calls.push('paid');
    this.outbox.delete(announcementId);
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
    if (this.publishFailures > 0) {
      this.publishFailures--;
      throw new Error('Publish: AuthorizationError');
    }
    this.published.push({ subject, message });
  }

  /** Dev has moved on to exec-1's prod bake: only that approval waits, and dev ran exec-1 until `devTakenAt`. */
  bakingInProd(devTakenAt?: Date): this {
    this.approvals = [PROD_BAKE];
    this.stages.set('Prod', { latestExecutionId: 'exec-1', actionChanges: [] });
    if (devTakenAt) this.stages.set('Dev', { latestExecutionId: 'exec-2', actionChanges: [{ actionName: 'Deploy', at: devTakenAt }] });
    return this;
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
      state: { value: overrides.value ?? 'ALARM', reason: 'Api5xxRate in ALARM', timestamp: overrides.timestamp ?? '2026-03-10T10:42:07.123+0000' },
      previousState: { value: 'OK', reason: 'fine', timestamp: '2026-03-10T09:00:00.000+0000' },
    },
  };
}

const prodAlarmEvent = (timestamp: string) => alarmEvent({ account: '333333333333', alarmName: 'Prod-Service-Health', timestamp });

const schedule = { 'detail-type': 'Scheduled Event', source: 'aws.events', account: '111111111111', time: '2026-03-10T11:00:00Z', detail: {} };

const bakeStarted = {
  'detail-type': 'CodePipeline Action Execution State Change',
  source: 'aws.codepipeline',
  account: '111111111111',
  time: '2026-03-10T10:00:00Z',
  detail: { pipeline: 'Tollgate', 'execution-id': 'exec-1', stage: 'Dev', action: 'Bake', state: 'STARTED', type: { category: 'Approval' } },
};

function gate(port: FakeGatePort, now: Date, extra: { releaseWindow?: ReleaseWindowProvider; settings?: GateSettings } = {}) {
  return createGate({ port, settings: extra.settings ?? SETTINGS, now: () => now, log: silent, releaseWindow: extra.releaseWindow });
}

const environmentReads = (port: FakeGatePort) => port.calls.filter((c) => c.startsWith('readEnvironment'));

describe('the alarm event path (halt fast)', () => {
  it('rejects a dev bake from the event alone: no environment read, one result, one announcement owed and paid', async () => {
    const port = new FakeGatePort();
    const report = await gate(port, at(42.2))(alarmEvent());
    expect(port.calls).toEqual(['readPipeline', 'putRejected', 'owe', 'publish', 'paid']);
    expect(port.results).toEqual([
      { token: 'tok-1', status: 'Rejected', summary: 'rejected: Dev-Service-Health entered ALARM at 10:42:07Z (reason: Api5xxRate in ALARM)' },
    ]);
    expect(port.published).toEqual([
      { subject: 'Tollgate Tollgate: build rejected in the Dev/Bake bake', message: expect.stringContaining('execution exec-1: the build will not reach Prod.') },
    ]);
    expect(port.outbox.size).toBe(0);
    expect(report).toEqual({
      trigger: 'alarm',
      decisions: [{ pipelineExecutionId: 'exec-1', stageName: 'Dev', verdict: 'reject', summary: port.results[0].summary, outcome: 'recorded' }],
      announced: ['exec-1/Dev/Bake/reject'],
    });
  });

  it('rejects a prod bake for a prod alarm the same way, and announces the rollback', async () => {
    const port = new FakeGatePort().bakingInProd();
    await gate(port, at(101))(prodAlarmEvent('2026-03-10T11:40:00.000+0000'));
    expect(environmentReads(port)).toEqual([]);
    expect(port.results).toEqual([{ token: 'tok-p1', status: 'Rejected', summary: 'rejected: Prod-Service-Health entered ALARM at 11:40:00Z (reason: Api5xxRate in ALARM)' }]);
    expect(port.published).toEqual([
      {
        subject: 'Tollgate Tollgate: Prod bake failed, rolling back',
        message: expect.stringContaining('the Prod stage fails and rolls back to the last successful release.'),
      },
    ]);
  });

  it('falls through to the reconcile for a dev alarm while only a prod bake waits, which judges the upstream span', async () => {
    const port = new FakeGatePort().bakingInProd();
    port.alarms.dev = [healthy('Dev-Service-Health', { state: 'ALARM', since: at(100), reason: 'dev 5xx', changes: [{ at: at(100), from: 'OK', to: 'ALARM', reason: 'dev 5xx' }] })];
    const report = await gate(port, at(101))(alarmEvent({ timestamp: '2026-03-10T11:40:00.000+0000' }));
    expect(report.trigger).toBe('alarm');
    expect(environmentReads(port)).toEqual(expect.arrayContaining(['readEnvironment dev bake', 'readEnvironment prod bake']));
    expect(port.results).toEqual([
      { token: 'tok-p1', status: 'Rejected', summary: 'rejected: Dev-Service-Health entered ALARM at 11:40:00Z (reason: dev 5xx), while dev still ran this build' },
    ]);
    expect(port.published[0].subject).toBe('Tollgate Tollgate: Prod bake failed, rolling back');
  });

  it('lets a prod bake be when dev alarms for a newer build deploying there', async () => {
    const port = new FakeGatePort().bakingInProd(at(95));
    port.alarms.dev = [healthy('Dev-Service-Health', { state: 'ALARM', since: at(100), changes: [{ at: at(100), from: 'OK', to: 'ALARM', reason: 'exec-2' }] })];
    const report = await gate(port, at(101))(alarmEvent({ timestamp: '2026-03-10T11:40:00.000+0000' }));
    expect(report.decisions).toEqual([expect.objectContaining({ stageName: 'Prod', verdict: 'wait', summary: 'waiting: 19 min of prod bake left' })]);
    expect(port.results).toEqual([]);
  });

  it('holds a dev bake, without rejecting it, for a prod alarm (via the reconcile)', async () => {
    const port = new FakeGatePort();
    port.alarms.prod = [healthy('Prod-Service-Health', { state: 'ALARM', since: at(55), reason: 'errors' })];
    const report = await gate(port, at(63))(prodAlarmEvent('2026-03-10T10:55:00.000+0000'));
    expect(report.decisions).toEqual([expect.objectContaining({ verdict: 'wait', summary: 'waiting: prod unhealthy: Prod-Service-Health in ALARM since 10:55:00Z (errors)' })]);
    expect(port.results).toEqual([]);
  });

  it('does no harm on a duplicate event, and announces once', async () => {
    const port = new FakeGatePort();
    port.staleApprovals = [...port.approvals];
    const g = gate(port, at(43));
    await g(alarmEvent());
    const second = await g(alarmEvent());
    expect(second.decisions[0]).toMatchObject({ verdict: 'reject', outcome: 'already-decided' });
    expect(port.results).toHaveLength(1);
    expect(port.published).toHaveLength(1);
  });

  it('does not reject for an event older than the bake (out of order): the reconcile just waits', async () => {
    const port = new FakeGatePort();
    port.approvals = [{ ...DEV_BAKE, bakeStartedAt: at(50) }];
    const report = await gate(port, at(51))(alarmEvent());
    expect(report.decisions).toEqual([expect.objectContaining({ verdict: 'wait' })]);
    expect(port.results).toEqual([]);
  });

  it('reconciles on a recovery, which rejects nothing by itself', async () => {
    const port = new FakeGatePort();
    await gate(port, at(63))(alarmEvent({ value: 'OK' }));
    expect(environmentReads(port)).toContain('readEnvironment dev bake');
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
  });

  it('refuses an event it cannot read, naming the field', async () => {
    const g = gate(new FakeGatePort(), at(1));
    await expect(g(alarmEvent({ timestamp: 'yesterday' }))).rejects.toThrow('unusable event: detail.state.timestamp must be a time, got "yesterday"');
    await expect(g(alarmEvent({ value: 'RED' }))).rejects.toThrow('detail.state.value must be one of OK, ALARM, INSUFFICIENT_DATA, got "RED"');
    await expect(g(alarmEvent({ account: 'dev' }))).rejects.toThrow('unusable event: account must be a 12-digit account ID, got "dev"');
    await expect(g({ source: 'aws.s3', 'detail-type': 'Object Created' })).rejects.toThrow(
      'unusable event: source/detail-type is not one the bake gate handles, got "aws.s3/Object Created"',
    );
    await expect(g('hello')).rejects.toThrow('unusable event: event must be an object, got "hello"');
  });
});

describe('the reconcile (schedule and bake start)', () => {
  it('approves a clean bake after its alarm latency, and approving twice does no harm', async () => {
    const port = new FakeGatePort();
    expect((await gate(port, at(62))(schedule)).decisions[0]).toMatchObject({ verdict: 'wait', summary: expect.stringContaining('more for the alarms to judge its last minutes') });
    expect(port.results).toEqual([]);
    port.staleApprovals = [...port.approvals];
    await gate(port, at(63))(schedule);
    const again = await gate(port, at(64))(schedule);
    expect(again.decisions[0]).toMatchObject({ verdict: 'approve', outcome: 'already-decided' });
    expect(port.results).toEqual([{ token: 'tok-1', status: 'Approved', summary: expect.stringMatching(/^approved: 1 h dev bake clean; /) }]);
    expect(port.published).toEqual([]);
  });

  it('reports how many approvals wait and how long the oldest has: the pulse the heartbeat and stuck alarms read', async () => {
    expect((await gate(new FakeGatePort(), at(37))(schedule)).pending).toEqual({ count: 1, oldestMinutes: 37 });
    const idle = new FakeGatePort();
    idle.approvals = [];
    expect((await gate(idle, at(37))(schedule)).pending).toEqual({ count: 0, oldestMinutes: 0 });
  });

  it('reads the baked environment deeply and the promotion target for its health only', async () => {
    const port = new FakeGatePort();
    await gate(port, at(63))(schedule);
    expect(environmentReads(port).sort()).toEqual(['readEnvironment dev bake', 'readEnvironment prod health']);
  });

  it('approves a clean prod bake after its minutes', async () => {
    const port = new FakeGatePort().bakingInProd();
    expect((await gate(port, at(122))(schedule)).decisions[0].verdict).toBe('wait');
    await gate(port, at(123))(schedule);
    expect(port.results).toEqual([{ token: 'tok-p1', status: 'Approved', summary: expect.stringMatching(/^approved: 30 min prod bake clean; /) }]);
  });

  it('reads only the pipeline and its state when nothing is waiting', async () => {
    const port = new FakeGatePort();
    port.approvals = [];
    expect(await gate(port, at(1))(schedule)).toMatchObject({ trigger: 'schedule', decisions: [], announced: [] });
    expect(port.calls.sort()).toEqual(['readPipeline', 'readState']);
  });

  it('checks a bake as soon as it starts', async () => {
    const port = new FakeGatePort();
    port.alarms.dev = [];
    const report = await gate(port, at(0))(bakeStarted);
    expect(report.trigger).toBe('bake-started');
    expect(port.results).toEqual([{ token: 'tok-1', status: 'Rejected', summary: 'rejected: Dev-Service-Health does not exist in dev' }]);
  });

  it('approves the first release, when the Prod stage never ran and its reader role does not exist yet', async () => {
    const port = new FakeGatePort();
    port.stages.set('Prod', { actionChanges: [] });
    port.environmentFailures.prod = Array.from({ length: 3 }, () => new ReaderRoleUnavailable('AssumeRole arn:aws:iam::333333333333:role/Tollgate-AlarmReader: AccessDenied'));
    await gate(port, at(63))(schedule);
    expect(port.results).toEqual([{ token: 'tok-1', status: 'Approved', summary: expect.stringContaining('prod not deployed yet') }]);
  });

  it('holds while halted', async () => {
    const port = new FakeGatePort();
    port.controls = { halt: { halted: true, reason: 'incident', by: 'alice', at: '2026-03-10T10:30:00Z' }, parameters: new Map() };
    const report = await gate(port, at(63))(schedule);
    expect(report.decisions[0]).toMatchObject({ verdict: 'wait', summary: 'waiting: halted by alice at 2026-03-10T10:30:00Z: incident' });
    expect(port.results).toEqual([]);
  });
});

describe('failed reads: a blip waits, a persistent failure rejects', () => {
  const boom = () => new Error('DescribeAlarms in dev (222222222222): InternalFailure: boom (HTTP 500, 3 attempts)');

  it('retries a read that failed once, remembers since when, and approves once it reads again', async () => {
    const port = new FakeGatePort();
    port.environmentFailures.dev = [boom()];
    const first = await gate(port, at(63))(schedule);
    expect(first.decisions[0]).toMatchObject({ verdict: 'wait', summary: expect.stringMatching(/^waiting: cannot read dev, retrying \(rejects after 5 min\): Error: DescribeAlarms/) });
    expect(port.failing).toEqual(new Map([['environment:dev', at(63)]]));
    await gate(port, at(64))(schedule);
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
    expect(port.failing).toEqual(new Map());
  });

  it('counts a failure from its first invocation, and rejects once it has lasted the tolerance', async () => {
    const port = new FakeGatePort();
    port.environmentFailures.dev = [boom(), boom(), boom()];
    await gate(port, at(63))(schedule);
    expect((await gate(port, at(67))(schedule)).decisions[0]).toMatchObject({ verdict: 'wait', summary: expect.stringContaining('cannot read dev for 4 min, retrying') });
    await gate(port, at(68))(schedule);
    expect(port.results).toEqual([{ token: 'tok-1', status: 'Rejected', summary: expect.stringMatching(/^rejected: cannot read dev for 5 min: Error: DescribeAlarms/) }]);
  });

  it('retries a calendar that throws, then rejects when it keeps throwing', async () => {
    const port = new FakeGatePort();
    const broken: ReleaseWindowProvider = () => {
      throw new Error('unknown holiday country XX');
    };
    expect((await gate(port, at(63), { releaseWindow: broken })(schedule)).decisions[0]).toMatchObject({
      verdict: 'wait',
      summary: 'waiting: cannot read the release calendar, retrying (rejects after 5 min): Error: unknown holiday country XX',
    });
    await gate(port, at(68), { releaseWindow: broken })(schedule);
    expect(port.results).toEqual([{ token: 'tok-1', status: 'Rejected', summary: 'rejected: cannot read the release calendar for 5 min: Error: unknown holiday country XX' }]);
  });

  it('decides without its state table, but fails the invocation so the error alarm pages', async () => {
    const port = new FakeGatePort();
    port.stateUnreadable = true;
    await expect(gate(port, at(63))(schedule)).rejects.toThrow("the gate's state could not be read: Error: Query Tollgate-BakeGateState: ResourceNotFoundException");
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
    expect(port.calls).not.toContain('recordFailures');
  });
});

describe('announcements are owed until made, and made once', () => {
  it('keeps a rejection whose announcement failed, fails the invocation, and announces it on the next schedule', async () => {
    const port = new FakeGatePort();
    port.publishFailures = 1;
    await expect(gate(port, at(43))(alarmEvent())).rejects.toThrow('Publish: AuthorizationError');
    expect(port.results.map((r) => r.status)).toEqual(['Rejected']);
    expect(port.calls).toContain('owe');
    expect(port.calls).not.toContain('paid');
    expect([...port.outbox.keys()]).toEqual(['exec-1/Dev/Bake/reject']);
    expect(port.published).toEqual([]);

    const next = await gate(port, at(44))(schedule);
    expect(next.announced).toEqual(['exec-1/Dev/Bake/reject']);
    expect(port.published).toEqual([{ subject: 'Tollgate Tollgate: build rejected in the Dev/Bake bake', message: expect.stringContaining('Dev-Service-Health entered ALARM') }]);
    expect(port.outbox.size).toBe(0);

    await gate(port, at(45))(schedule);
    expect(port.published).toHaveLength(1);
  });

  it('publishes nothing for a verdict another invocation already owes', async () => {
    // The schedule read the state before a concurrent alarm invocation owed the same rejection.
    const port = new FakeGatePort();
    port.alarms.dev = [];
    const announcement = { id: 'exec-1/Dev/Bake/reject', subject: 'Tollgate Tollgate: build rejected in the Dev/Bake bake', message: 'owed by the alarm invocation' };
    port.readState = async () => ({ failingSince: new Map(), outbox: [], remembered: new Set<string>() });
    port.outbox.set(announcement.id, announcement);
    const report = await gate(port, at(10))(schedule);
    expect(port.results.map((r) => r.status)).toEqual(['Rejected']);
    expect(report.announced).toEqual([]);
    expect(port.published).toEqual([]);
    expect(port.outbox).toEqual(new Map([[announcement.id, announcement]]));
  });

  it('publishes nothing for an approval that was already decided', async () => {
    const port = new FakeGatePort();
    port.alarms.dev = [];
    port.staleApprovals = [...port.approvals];
    await gate(port, at(10))(schedule);
    const again = await gate(port, at(11))(schedule);
    expect(again).toMatchObject({ decisions: [{ verdict: 'reject', outcome: 'already-decided' }], announced: [] });
    expect(port.published).toHaveLength(1);
  });
});

describe('the release calendar seam', () => {
  it('asks the calendar only for bakes that promote, with the run-time controls, and queues while it is closed', async () => {
    const port = new FakeGatePort();
    port.approvals = [DEV_BAKE, { ...PROD_BAKE, pipelineExecutionId: 'exec-0', token: 'tok-p0' }];
    port.actionRuns = [{ stageName: 'Dev', actionName: 'Bake', startedAt: at(-200), lastUpdatedAt: at(-137) }];
    port.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/freezes', '[]']]) };
    const queries: ReleaseWindowQuery[] = [];
    const calendar: ReleaseWindowProvider = async (q) => {
      queries.push(q);
      return { open: false, reasons: ['Friday'], nextOpen: '2026-03-16T13:00:00Z' };
    };
    const report = await gate(port, at(63), { releaseWindow: calendar })(schedule);
    expect(queries).toEqual([{ now: at(63), pipelineExecutionId: 'exec-1', controls: port.controls.parameters }]);
    expect(report.decisions[0].summary).toBe('waiting: release calendar closed: Friday; opens 2026-03-16T13:00:00Z');
  });

  it('has no calendar by default', async () => {
    const port = new FakeGatePort();
    await gate(port, at(63))(schedule);
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
  });
});

describe('with the real release calendar (Mon–Thu 09:00–16:00 America/New_York, US holidays)', () => {
  const calendar = calendarReleaseWindow(DEFAULT_CALENDAR_SETTINGS, 'Tollgate');
  const ONCALL = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice';
  /** A build whose dev bake started on Thursday 2026-03-12 at 15:00 New York time (19:00Z). */
  function thursdayBuild(): FakeGatePort {
    const port = new FakeGatePort();
    port.approvals = [{ ...DEV_BAKE, bakeStartedAt: new Date('2026-03-12T19:00:00Z') }];
    return port;
  }
  const check = (port: FakeGatePort, now: string) => gate(port, new Date(now), { releaseWindow: calendar })(schedule);

  it('queues a baked build over the weekend, not failing it, and promotes it by itself when the window opens', async () => {
    const port = thursdayBuild();
    expect((await check(port, '2026-03-12T20:03:00Z')).decisions[0].summary).toBe(
      'waiting: release calendar closed: outside Mon–Thu 09:00–16:00 America/New_York; opens 2026-03-16T09:00:00-04:00',
    );
    expect((await check(port, '2026-03-13T15:00:00Z')).decisions[0].summary).toBe('waiting: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00');
    expect((await check(port, '2026-03-16T12:59:00Z')).decisions[0].verdict).toBe('wait');
    expect(port.results).toEqual([]);
    await check(port, '2026-03-16T13:00:00Z');
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
    expect(port.published).toEqual([]);
  });

  it('does not start prod in the last 50 minutes of a window', async () => {
    expect((await check(thursdayBuild(), '2026-03-16T19:11:00Z')).decisions[0].summary).toBe(
      'waiting: too late to start prod: the window closes at 20:00:00Z and prod deploy + bake take 50 min',
    );
  });

  it("holds for on-call's run-time freeze read from the controls", async () => {
    const port = thursdayBuild();
    const freeze = { name: 'incident-4711', reason: 'checkout errors', by: ONCALL, at: '2026-03-16T08:00:00-04:00', end: '2026-03-17T12:00:00-04:00' };
    port.controls = { halt: undefined, parameters: new Map([['/tollgate/Tollgate/freezes', JSON.stringify([freeze])]]) };
    expect((await check(port, '2026-03-16T14:00:00Z')).decisions[0].summary).toBe(
      'waiting: release calendar closed: freeze: incident-4711 until 2026-03-17T12:00:00-04:00; opens 2026-03-17T12:00:00-04:00',
    );
  });

  const override = (id: string, value: string) => ({ halt: undefined, parameters: new Map([[`/tollgate/Tollgate/override/${id}`, value]]) });
  const glass = JSON.stringify({ reason: 'hotfix for INC-4711', by: ONCALL, at: '2026-03-13T16:55:00-04:00', expiresAt: '2026-03-14T16:55:00-04:00' });

  it('break-glass: the override of this execution lets it through on a Friday evening, says who and why, and announces it', async () => {
    const port = thursdayBuild();
    port.controls = override('exec-1', glass);
    await check(port, '2026-03-13T21:00:00Z');
    expect(port.results).toEqual([
      {
        token: 'tok-1',
        status: 'Approved',
        summary: expect.stringMatching(
          /^approved: 1 h dev bake clean; release calendar opened by break-glass override by arn:aws:sts::111111111111:assumed-role\/OnCall\/alice at 2026-03-13T16:55:00-04:00 \(expires 2026-03-14T16:55:00-04:00\): hotfix for INC-4711; /,
        ),
      },
    ]);
    expect(port.published).toEqual([
      {
        subject: 'Tollgate Tollgate: promoted outside the release calendar',
        message: expect.stringContaining('execution exec-1: promoted under a break-glass override of the release calendar.'),
      },
    ]);
  });

  it('the override bypasses the calendar only: an alarm during the bake still rejects', async () => {
    const port = thursdayBuild();
    port.alarms.dev = [
      healthy('Dev-Service-Health', {
        since: new Date('2026-03-12T19:40:00Z'),
        changes: [
          { at: new Date('2026-03-12T19:30:00Z'), from: 'OK', to: 'ALARM', reason: '5xx' },
          { at: new Date('2026-03-12T19:40:00Z'), from: 'ALARM', to: 'OK', reason: 'fine' },
        ],
      }),
    ];
    port.controls = override('exec-1', glass);
    await check(port, '2026-03-13T21:00:00Z');
    expect(port.results.map((r) => r.status)).toEqual(['Rejected']);
  });

  it("another execution's override changes nothing; an unreadable one is a failed calendar read", async () => {
    const port = thursdayBuild();
    port.controls = override('exec-2', glass);
    expect((await check(port, '2026-03-13T21:00:00Z')).decisions[0].verdict).toBe('wait');
    port.controls = override('exec-1', 'yes please');
    expect((await check(port, '2026-03-13T21:01:00Z')).decisions[0]).toMatchObject({
      verdict: 'wait',
      summary: expect.stringContaining('cannot read the release calendar, retrying (rejects after 5 min): ControlParseError: control parameter /tollgate/Tollgate/override/exec-1 is unreadable: not JSON'),
    });
  });
});

describe('the deployed function', () => {
  const ready = {
    [GATE_SETTINGS_ENV]: JSON.stringify(SETTINGS),
    [GATE_TOPIC_ENV]: 'arn:aws:sns:us-east-1:111111111111:Tollgate-release-events',
    [GATE_STATE_TABLE_ENV]: 'Tollgate-BakeGateState',
  };
  const withSettings = (settings: unknown) => ({ ...ready, [GATE_SETTINGS_ENV]: JSON.stringify(settings) });

  it('reads the release calendar from its environment and refuses to start with one it cannot read', () => {
    expect(gateFromEnvironment({ ...ready, [RELEASE_CALENDAR_ENV]: JSON.stringify(DEFAULT_CALENDAR_SETTINGS) })).toEqual(expect.any(Function));
    expect(() => gateFromEnvironment({ ...ready, [RELEASE_CALENDAR_ENV]: JSON.stringify({ timezone: 'Mars/Olympus_Mons' }) })).toThrow(
      'invalid configuration: calendar.timezone must be an IANA time zone like "America/New_York", got "Mars/Olympus_Mons"',
    );
    expect(() => gateFromEnvironment({ ...ready, [RELEASE_CALENDAR_ENV]: '{' })).toThrow(SyntaxError);
    expect(releaseWindowFromEnvironment(undefined, 'Tollgate')).toBe(noReleaseCalendar);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['settings that are not JSON', { ...ready, [GATE_SETTINGS_ENV]: undefined }, 'invalid configuration: BAKE_GATE_SETTINGS must be JSON, got undefined'],
    ['a bad field, by its path', withSettings(withBake(SETTINGS, 'Dev', { minutes: 0 })), 'invalid configuration: BAKE_GATE_SETTINGS.bakes[0].minutes '],
    ['an unknown setting', withSettings({ ...SETTINGS, bakeMinutes: 60 }), 'invalid configuration: BAKE_GATE_SETTINGS.bakeMinutes is not a known setting (pipelineName, gateRoleName, operatorRoleName, environments, bakes, entryChecks, alarmLatencyMinutes, readFailureToleranceMinutes), got 60'],
    [
      'a bake in an unknown environment',
      withSettings(withBake(SETTINGS, 'Prod', { environments: ['prod', 'staging'] })),
      'invalid configuration: BAKE_GATE_SETTINGS.bakes[1].environments[1] must name one of the environments, got "staging"',
    ],
    [
      'a promotion to an unknown environment',
      withSettings(withBake(SETTINGS, 'Dev', { promotion: { stageName: 'Prod', environments: ['production'], lateStartMinutes: 50 } })),
      'invalid configuration: BAKE_GATE_SETTINGS.bakes[0].promotion.environments[0] must name one of the environments, got "production"',
    ],
    [
      'evidence required of an environment with no evidence metric',
      withSettings(withEnvironment(SETTINGS, 'dev', { evidence: {} })),
      'invalid configuration: BAKE_GATE_SETTINGS.bakes[0].allowNoTraffic must be true when environment dev has no evidence metric, got false',
    ],
    ['no topic', { ...ready, [GATE_TOPIC_ENV]: undefined }, 'BAKE_GATE_TOPIC_ARN must be set'],
    ['no state table', { ...ready, [GATE_STATE_TABLE_ENV]: undefined }, 'BAKE_GATE_STATE_TABLE must be set'],
  ])('refuses to start with %s, in one line', (_, env, message) => {
    expect(() => gateFromEnvironment(env)).toThrow(message);
  });

  it('starts with no evidence metric when the bakes there allow no traffic', () => {
    const settings = withBake(withEnvironment(SETTINGS, 'dev', { evidence: {} }), 'Dev', { allowNoTraffic: true });
    expect(gateFromEnvironment(withSettings(settings))).toEqual(expect.any(Function));
  });
});

describe('the entry check, decisions by hand, and the gate health on record', () => {
  const ENTRY: PendingApproval = { pipelineExecutionId: 'exec-1', token: 'tok-e1', stageName: 'Prod', actionName: 'EntryCheck', bakeStartedAt: at(200) };
  const byHand: DecidedApproval = {
    pipelineExecutionId: 'exec-1',
    stageName: 'Dev',
    actionName: 'Bake',
    actionExecutionId: 'ae-7',
    status: 'Succeeded',
    updatedBy: 'arn:aws:sts::111111111111:assumed-role/Admin/alice',
    at: at(20),
  };

  it('lets a build in at Prod once dev (since its bake) and prod read clean, reading dev deeply and prod for health', async () => {
    const port = new FakeGatePort();
    port.approvals = [ENTRY];
    const report = await gate(port, at(201))(schedule);
    expect(port.results).toEqual([{ token: 'tok-e1', status: 'Approved', summary: expect.stringMatching(/^entry check passed: dev clean since its bake started/) }]);
    expect(environmentReads(port).sort()).toEqual(['readEnvironment dev bake', 'readEnvironment prod health']);
    expect(report.decisions[0]).toMatchObject({ stageName: 'Prod', verdict: 'approve', outcome: 'recorded' });
  });

  it('announces a gate-owned approval decided by hand once, and notes it in the build\'s next summary', async () => {
    const port = new FakeGatePort();
    port.approvals = [ENTRY];
    port.decided = [byHand];
    const first = await gate(port, at(201))(schedule);
    expect(port.published).toEqual([
      {
        subject: 'Tollgate Tollgate: Dev/Bake approved by hand, not by the gate',
        message: expect.stringContaining('Dev/Bake was approved by arn:aws:sts::111111111111:assumed-role/Admin/alice at 2026-03-10T10:20:00.000Z.'),
      },
    ]);
    expect(first.announced).toEqual(['by-hand/ae-7']);
    expect(port.results[0].summary).toContain('NOTE: Dev/Bake was approved by hand by arn:aws:sts::111111111111:assumed-role/Admin/alice');
    // GetPipelineState keeps showing the decision: remembered, it is not announced again.
    await gate(port, at(202))(schedule);
    expect(port.published).toHaveLength(1);
    expect(port.outbox.size).toBe(0);
  });

  it("does not announce the gate's own decisions", async () => {
    const port = new FakeGatePort();
    port.decided = [{ ...byHand, updatedBy: 'arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGate/Tollgate-Pipeline-BakeGateFunction' }];
    await gate(port, at(30))(schedule);
    expect(port.published).toEqual([]);
    expect(port.remembered.size).toBe(0);
  });

  it('records every completed check, and the error of a failed invocation, for tollgate status', async () => {
    const port = new FakeGatePort();
    await gate(port, at(30))(schedule);
    expect(port.health).toEqual([{ lastCheckAt: at(30) }]);
    port.stateUnreadable = true;
    await expect(gate(port, at(31))(schedule)).rejects.toThrow("the gate's state could not be read");
    expect(port.health[1]).toEqual({ lastError: { at: at(31), message: expect.stringContaining("the gate's state could not be read: Error: Query Tollgate-BakeGateState") } });
  });
});

describe('a promotion forced through an incident freeze', () => {
  it('is announced under its own subject', async () => {
    const port = new FakeGatePort();
    const forced: ReleaseWindowProvider = () => ({ open: true, reasons: ['break-glass override FORCED THROUGH incident freeze inc-9 by arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice at 2026-03-10T10:30:00Z (expires 2026-03-11T10:30:00Z): fix'] });
    await gate(port, at(64), { releaseWindow: forced })(schedule);
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
    expect(port.published).toEqual([
      { subject: 'Tollgate Tollgate: promoted THROUGH AN INCIDENT FREEZE', message: expect.stringContaining('forced through an incident freeze') },
    ]);
  });
});

describe('why a build waits, on record for tollgate status', () => {
  it('records the latest waiting summary of each approval, and forgets it once the approval is decided', async () => {
    const port = new FakeGatePort();
    await gate(port, at(37))(schedule);
    expect(port.waiting.get('tok-1')).toBe('waiting: 23 min of dev bake left');
    await gate(port, at(64))(schedule);
    expect(port.results.map((r) => r.status)).toEqual(['Approved']);
    expect(port.waiting.has('tok-1')).toBe(false);
  });
});
