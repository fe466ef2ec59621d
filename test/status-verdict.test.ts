/** The status verdict, decided purely from the gathered facts: one fixture per situation on-call asks about. */
import type { BakeReport, StatusFacts } from '../cli/commands/status';
import { localMoment, statusVerdict } from '../cli/status-verdict';

const NOW = new Date('2026-11-23T15:00:00Z'); // Monday 10:00 in New York
const ALICE = 'arn:aws:sts::111111111111:assumed-role/OnCall/alice';

/** Nothing happening: every stage done, the gate checked 30 s ago, the calendar open, alarms OK. */
function facts(overrides: Partial<StatusFacts> = {}): StatusFacts {
  return {
    pipeline: { name: 'Tollgate', account: '111111111111', region: 'us-east-1', version: 7, at: '2026-11-23T15:00:00Z' },
    stages: [
      { name: 'Dev', status: 'Succeeded', executionId: 'e3', revision: { commitId: '3f2a1b9aaaa' }, transition: { enabled: true }, actions: [] },
      { name: 'Prod', status: 'Succeeded', executionId: 'e2', revision: { commitId: '2222222bbbb' }, transition: { enabled: true }, actions: [] },
    ],
    prodStageName: 'Prod',
    calendarTimezone: 'America/New_York',
    bake: [],
    entryChecks: [],
    gates: { halt: { state: 'absent' }, activeFreezes: [], calendar: { open: true, reasons: [], closesAt: '2026-11-23T16:00:00-05:00' } },
    gateHealth: { lastCheckAt: '2026-11-23T14:59:30Z' },
    disabledTransitions: [],
    alarms: [
      { name: 'Dev-Service-Health', account: '222222222222', region: 'us-east-1', state: 'OK' },
      { name: 'Prod-Service-Health', account: '333333333333', region: 'us-east-1', state: 'OK' },
    ],
    waves: [{ wave: 1, stage: 'Prod', status: 'Succeeded', targets: [{ environment: 'prod', account: '333333333333', region: 'us-east-1', health: 'OK' }] }],
    prod: { latestExecutionId: 'e2', latestStatus: 'Succeeded', lastSuccessfulRelease: { executionId: 'e2', version: 'v1.4.17', revision: { commitId: '2222222bbbb' } } },
    ...overrides,
  };
}

const devBake = (minutesLeft: number, extra: Partial<BakeReport> = {}): BakeReport => ({
  stage: 'Dev',
  action: 'Bake',
  kind: 'dev bake',
  executionId: 'e3',
  bakeMinutes: 60,
  minutesLeft,
  earliestApprovalAt: '2026-11-23T15:03:00Z',
  commit: '3f2a1b9',
  ...extra,
});
const prodBake = (minutesLeft: number): BakeReport => ({ stage: 'Prod', action: 'ProdBake', kind: 'prod bake', executionId: 'e2', bakeMinutes: 30, minutesLeft, commit: '2222222' });
const closedCalendar = { open: false, reasons: ['Sunday'], nextOpen: '2026-11-30T09:00:00-05:00' };
const halt = { state: 'set' as const, value: { halted: true, reason: 'INC-42 checkout 5xx', by: ALICE, at: '2026-11-23T14:40:00Z' } };

test.each<[string, Partial<StatusFacts>, string]>([
  ['nothing happening', {}, 'releases flowing'],
  ['halted by on-call', { gates: { ...facts().gates, halt } }, 'HALTED by alice since 2026-11-23T14:40:00Z: INC-42 checkout 5xx'],
  ['a halt flag the gate cannot read', { gates: { ...facts().gates, halt: { state: 'unreadable', error: 'not JSON' } } }, 'HALTED: the halt flag is unreadable and the gate promotes nothing (not JSON)'],
  ['only the transition closed', { disabledTransitions: [{ stage: 'Prod', by: ALICE, at: '2026-11-23T14:41:00Z', reason: 'tollgate stop' }] }, 'HALTED: the transition into Prod is disabled by alice since 2026-11-23T14:41:00Z: tollgate stop'],
  ['a build baking in Dev', { bake: [devBake(23)] }, 'build 3f2a1b9 baking in Dev: 23 min left'],
  ['a build baking, with the gate\'s reason', { bake: [devBake(23, { waiting: { summary: 'no traffic yet', at: '2026-11-23T14:59:00Z' } })] }, 'build 3f2a1b9 baking in Dev: 23 min left (gate: no traffic yet)'],
  ['a build in the prod bake comes before one in Dev', { bake: [devBake(23), prodBake(12)] }, 'build 2222222 in the prod bake: 12 min left'],
  ['baked, held by the calendar', { bake: [devBake(0)], gates: { ...facts().gates, calendar: closedCalendar } }, 'held: calendar closed until Mon 2026-11-30 09:00 (America/New_York); build 3f2a1b9 baked in Dev'],
  ['baked, held for the gate\'s own reason', { bake: [devBake(0, { waiting: { summary: 'Dev-Service-Health was in ALARM at 14:50', at: '2026-11-23T14:59:00Z' } })] }, 'build 3f2a1b9 baked in Dev, waiting for the gate: Dev-Service-Health was in ALARM at 14:50'],
  ['baked, nothing known yet', { bake: [devBake(0)] }, 'build 3f2a1b9 baked in Dev, waiting for the gate (it approves from 2026-11-23T15:03:00Z)'],
  ['held at Prod\'s door', { entryChecks: [{ stage: 'Prod', action: 'EntryCheck', commit: '3f2a1b9', waiting: { summary: 'Dev alarmed after its bake', at: '2026-11-23T14:59:00Z' } }] }, "held at Prod's entry check: build 3f2a1b9: Dev alarmed after its bake"],
  ['prod rolling back', { stages: [facts().stages[0], { ...facts().stages[1], status: 'InProgress', executionType: 'ROLLBACK' }] }, 'prod rolling back to 2222222'],
  ['a stalled gate', { gateHealth: { lastCheckAt: '2026-11-23T14:43:00Z' } }, 'bake gate STALLED: no check for 17 min'],
  ['a gate that never checked while builds wait', { gateHealth: {}, bake: [devBake(5)] }, 'bake gate STALLED: no check on record'],
  ['prod in ALARM', { alarms: [{ name: 'Prod-Service-Health', account: '333333333333', region: 'us-east-1', state: 'ALARM' }] }, 'Prod-Service-Health in ALARM (account 333333333333)'],
  ['a build deploying', { stages: [{ ...facts().stages[0], status: 'InProgress' }, facts().stages[1]] }, 'build 3f2a1b9 deploying to Dev'],
  ['prod failed', { stages: [facts().stages[0], { ...facts().stages[1], status: 'Failed' }] }, "Prod's last run FAILED (e2)"],
])('%s', (_situation, overrides, verdict) => {
  expect(statusVerdict(facts(overrides), NOW).verdict).toBe(verdict);
});

test('the other findings follow as details, most pressing first; unknowns are named', () => {
  const result = statusVerdict(
    facts({
      gates: { ...facts().gates, halt, calendar: closedCalendar, freezesError: 'AccessDenied' },
      bake: [devBake(23)],
      gateHealth: { error: 'AccessDeniedException: dynamodb:Query' },
      alarms: [{ name: 'Prod-Service-Health', account: '333333333333', region: 'us-east-1', note: 'unreadable: cannot assume the reader role' }],
    }),
    NOW,
  );
  expect(result).toEqual({
    verdict: 'HALTED by alice since 2026-11-23T14:40:00Z: INC-42 checkout 5xx',
    details: [
      'bake gate health UNKNOWN: AccessDeniedException: dynamodb:Query',
      'build 3f2a1b9 baking in Dev: 23 min left',
      'freezes UNREADABLE: AccessDenied',
      'calendar closed until Mon 2026-11-30 09:00 (America/New_York)',
      'Prod-Service-Health unknown: unreadable: cannot assume the reader role',
    ],
  });
});

test('when the calendar opens: weekday and time in its zone, the date too when a week or more away', () => {
  expect(localMoment('2026-11-24T09:00:00-05:00', 'America/New_York', NOW)).toBe('Tue 09:00');
  expect(localMoment('2026-12-07T09:00:00-05:00', 'America/New_York', NOW)).toBe('Mon 2026-12-07 09:00');
});
