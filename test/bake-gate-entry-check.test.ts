import {
  AlarmReading,
  decide,
  DecidedApproval,
  decidedByHand,
  EnvironmentReading,
  GateInputs,
  PendingApproval,
  Read,
  readFailed,
  readOk,
  rejectionsForAlarmEvent,
} from '@tollgate/constructs/lib/lambdas/bake-gate/core';
import { gateSettings } from './bake-gate-fixtures';

const MIN = 60_000;
const T0 = new Date('2026-03-10T10:00:00Z'); // the dev bake starts
const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
const SETTINGS = gateSettings();

/** Exec-1 at Prod's door after a resume: the dev bake passed at 63 min; it reaches the entry check at 200. */
const entry = (start = at(200)): PendingApproval => ({ pipelineExecutionId: 'exec-1', token: 'tok-e', stageName: 'Prod', actionName: 'EntryCheck', bakeStartedAt: start });

const alarm = (name: string, state: AlarmReading['state'], since: Date, changes: AlarmReading['changes'] = []): AlarmReading => ({
  name,
  state,
  since,
  reason: 'threshold',
  changes,
  actionsEnabled: true,
});

const healthy = (title: 'Dev' | 'Prod'): EnvironmentReading => ({ alarms: [alarm(`${title}-Service-Health`, 'OK', at(-500))], configurationChanges: [] });

function world(now: Date, overrides: Partial<GateInputs> & { dev?: Read<EnvironmentReading>; prod?: Read<EnvironmentReading> } = {}): GateInputs {
  const { dev, prod, ...rest } = overrides;
  return {
    now,
    approvals: [entry()],
    environments: new Map([
      ['dev', dev ?? readOk(healthy('Dev'))],
      ['prod', prod ?? readOk(healthy('Prod'))],
    ]),
    stagesRun: new Set(['Dev', 'Prod']),
    upstreamSpans: new Map([['exec-1', readOk({ start: T0, end: now })]]),
    halt: readOk(undefined),
    ...rest,
  };
}

const verdictOf = (inputs: GateInputs) => decide(inputs, SETTINGS)[0].verdict;

describe('the entry check at Prod', () => {
  it('lets a build in at once when dev stayed clean since its bake started and prod is healthy', () => {
    expect(verdictOf(world(at(200)))).toEqual({
      kind: 'approve',
      summary: 'entry check passed: dev clean since its bake started; Prod-Service-Health OK',
    });
  });

  it('rejects a build whose dev alarmed after its bake passed, while dev still ran it (a stop, then a resume)', () => {
    const dev = readOk({ ...healthy('Dev'), alarms: [alarm('Dev-Service-Health', 'OK', at(150), [{ at: at(120), from: 'OK', to: 'ALARM', reason: 'Api5xxRate' }, { at: at(150), from: 'ALARM', to: 'OK', reason: 'fine' }])] });
    const verdict = verdictOf(world(at(200), { dev }));
    expect(verdict.kind).toBe('reject');
    expect(verdict.summary).toBe('rejected at entry: Dev-Service-Health entered ALARM at 12:00:00Z (reason: Api5xxRate), while dev still ran this build');
  });

  it.each<[string, Partial<GateInputs> & { prod?: Read<EnvironmentReading> }, string]>([
    ['prod in ALARM', { prod: readOk({ ...healthy('Prod'), alarms: [alarm('Prod-Service-Health', 'ALARM', at(190))] }) }, 'waiting at entry: prod unhealthy: Prod-Service-Health in ALARM since 13:10:00Z (threshold)'],
    ['a halt', { halt: readOk({ halted: true, by: 'arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice', at: '2026-03-10T13:00:00Z', reason: 'incident' }) }, 'waiting at entry: halted by arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice at 2026-03-10T13:00:00Z: incident'],
    [
      'the calendar closed',
      { releaseWindows: new Map([['exec-1', readOk({ open: false, reasons: ['Friday'], nextOpen: '2026-03-16T09:00:00-04:00' })]]) },
      'waiting at entry: release calendar closed: Friday; opens 2026-03-16T09:00:00-04:00',
    ],
  ])('holds the build at the door for %s', (_what, overrides, summary) => {
    expect(verdictOf(world(at(200), overrides))).toEqual({ kind: 'wait', summary });
  });

  it('retries a failed read of dev, and rejects once it has failed for the tolerance', () => {
    const failing = (since: Date) => readFailed<EnvironmentReading>('DescribeAlarms: ThrottlingException', since);
    expect(verdictOf(world(at(200), { dev: failing(at(199)) })).kind).toBe('wait');
    expect(verdictOf(world(at(200), { dev: failing(at(195)) })).summary).toBe(
      'rejected at entry: cannot read dev for 5 min: DescribeAlarms: ThrottlingException',
    );
  });

  it('is not rejected by the alarm fast path: the reconcile that follows judges whether dev still ran the build', () => {
    const event = { account: '333333333333', alarmName: 'Prod-Service-Health', state: 'ALARM' as const, reason: 'x', at: at(201) };
    expect(rejectionsForAlarmEvent(event, [entry()], SETTINGS, new Map([['dev', { account: '222222222222', region: 'us-east-1' }], ['prod', { account: '333333333333', region: 'us-east-1' }]]), at(201))).toEqual([]);
  });
});

describe('decisions by hand', () => {
  const ROLES = { gateRoleName: 'Tollgate-BakeGate', operatorRoleName: 'Tollgate-Operator' };
  const decided = (updatedBy: string | undefined, status = 'Succeeded', extra: Partial<DecidedApproval> = {}): DecidedApproval => ({
    pipelineExecutionId: 'exec-1',
    stageName: 'Dev',
    actionName: 'Bake',
    actionExecutionId: 'ae-1',
    status,
    updatedBy,
    at: at(30),
    ...extra,
  });

  it("tells the gate's own sessions from anyone else's", () => {
    expect(decidedByHand([decided('arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGate/Tollgate-Pipeline-BakeGateFunction')], ROLES)).toEqual([]);
    expect(decidedByHand([decided('arn:aws:sts::111111111111:assumed-role/Admin/alice')], ROLES)).toEqual([
      { pipelineExecutionId: 'exec-1', stageName: 'Dev', actionName: 'Bake', actionExecutionId: 'ae-1', status: 'Succeeded', by: 'arn:aws:sts::111111111111:assumed-role/Admin/alice', at: at(30) },
    ]);
    // A role whose name only starts like the gate's is someone else.
    expect(decidedByHand([decided('arn:aws:sts::111111111111:assumed-role/Tollgate-BakeGateX/mallory')], ROLES)).toHaveLength(1);
    expect(decidedByHand([decided('arn:aws:iam::111111111111:user/bob', 'Failed')], ROLES).map((d) => d.status)).toEqual(['Failed']);
  });

  it("leaves out tollgate stop's rejections (the operator role announces them itself), not the operator role's approvals", () => {
    const operator = 'arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice';
    expect(decidedByHand([decided(operator, 'Failed')], ROLES)).toEqual([]);
    expect(decidedByHand([decided(operator, 'Succeeded')], ROLES).map((d) => d.by)).toEqual([operator]);
  });

  it('ignores what is not a decision: still waiting, no decider recorded, no action execution', () => {
    expect(
      decidedByHand(
        [decided('arn:aws:iam::111111111111:user/bob', 'InProgress'), decided(undefined), decided('arn:aws:iam::111111111111:user/bob', 'Succeeded', { actionExecutionId: undefined })],
        ROLES,
      ),
    ).toEqual([]);
  });

  it("notes a decision by hand in the build's later summaries", () => {
    const byHand = decidedByHand([decided('arn:aws:sts::111111111111:assumed-role/Admin/alice')], ROLES);
    expect(verdictOf(world(at(200), { decidedByHand: byHand })).summary).toBe(
      'entry check passed: dev clean since its bake started; Prod-Service-Health OK; NOTE: Dev/Bake was approved by hand by arn:aws:sts::111111111111:assumed-role/Admin/alice',
    );
    const other = byHand.map((d) => ({ ...d, pipelineExecutionId: 'exec-2' }));
    expect(verdictOf(world(at(200), { decidedByHand: other })).summary).not.toContain('NOTE');
  });
});
