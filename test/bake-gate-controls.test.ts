/** Which run-time controls the gate believes (`judgeControls`), and the calendar it asks with them. */
import { ControlParameter, judgeControls, judgementName } from '@tollgate/constructs/lib/lambdas/bake-gate/controls';
import { calendarReleaseWindow } from '@tollgate/constructs/lib/lambdas/bake-gate/release-window';
import { DEFAULT_CALENDAR_SETTINGS } from '@tollgate/constructs/lib/domain/release-calendar';
import { isOperatorSession } from '@tollgate/constructs/lib/domain/pipeline-controls';

const OPERATOR = 'arn:aws:sts::111111111111:assumed-role/Tollgate-Operator/alice@example.com';
const OTHERS: [string, string | undefined][] = [
  ['an admin role of the account', 'arn:aws:sts::111111111111:assumed-role/Admin/mallory'],
  ['an IAM user', 'arn:aws:iam::111111111111:user/mallory'],
  ['the account root', 'arn:aws:iam::111111111111:root'],
  ['an operator role of another account', 'arn:aws:sts::999999999999:assumed-role/Tollgate-Operator/mallory'],
  ["another pipeline's operator role", 'arn:aws:sts::111111111111:assumed-role/Other-Operator/mallory'],
  ['a role whose name only starts like it', 'arn:aws:sts::111111111111:assumed-role/Tollgate-Operator2/mallory'],
  ['nobody SSM names', undefined],
];
const HALT = '/tollgate/Tollgate/halt';
const FREEZES = '/tollgate/Tollgate/freezes';
const OVERRIDE = '/tollgate/Tollgate/override/exec-1';
const WHO = { pipelineName: 'Tollgate', operatorRoleName: 'Tollgate-Operator' };
const record = { reason: 'why', by: 'arn:aws:sts::111111111111:assumed-role/OnCall/alice', at: '2026-03-16T08:00:00-04:00' };
const MODIFIED_AT = new Date('2026-03-16T12:30:00Z');

function parameter(name: string, value: unknown, modifiedBy: string | undefined, versions: [number, number] = [3, 3]): ControlParameter {
  return {
    name,
    value: JSON.stringify(value),
    version: versions[0],
    metadata: { arn: `arn:aws:ssm:us-east-1:111111111111:parameter${name}`, modifiedBy, modifiedAt: MODIFIED_AT, version: versions[1] },
  };
}

describe('isOperatorSession', () => {
  test('only a session of the role of that name in that account', () => {
    expect(isOperatorSession(OPERATOR, '111111111111', 'Tollgate-Operator')).toBe(true);
    expect(isOperatorSession('arn:aws-us-gov:sts::111111111111:assumed-role/Tollgate-Operator/bob', '111111111111', 'Tollgate-Operator')).toBe(true);
    for (const [, arn] of OTHERS) expect(isOperatorSession(arn, '111111111111', 'Tollgate-Operator')).toBe(false);
    expect(isOperatorSession('arn:aws:iam::111111111111:role/Tollgate-Operator', '111111111111', 'Tollgate-Operator')).toBe(false);
  });
});

describe('judgeControls: a halt flag', () => {
  test.each([true, false])('written by the operator role with halted: %s is taken as it is', (halted) => {
    const judged = judgeControls([parameter(HALT, { ...record, halted }, OPERATOR)], WHO);
    expect(judged.halt).toEqual({ ...record, halted });
    expect(judged.modifiedBy.get(HALT)).toBe(OPERATOR);
  });

  test.each(OTHERS)('halted: true by %s still halts: restricting is always allowed', (_who, arn) => {
    expect(judgeControls([parameter(HALT, { ...record, halted: true }, arn)], WHO).halt).toEqual({ ...record, halted: true });
  });

  test.each(OTHERS)('halted: false by %s holds until `tollgate resume`', (_who, arn) => {
    const by = arn ?? 'an unknown principal';
    expect(judgeControls([parameter(HALT, { ...record, halted: false }, arn)], WHO).halt).toEqual({
      halted: true,
      by,
      at: MODIFIED_AT.toISOString(),
      reason: `halt flag written outside the operator role by ${by}: held until \`tollgate resume\``,
    });
  });

  test('halted: false whose version changed between the two reads holds: who wrote the value read is unknown', () => {
    expect(judgeControls([parameter(HALT, { ...record, halted: false }, OPERATOR, [3, 4])], WHO).halt?.halted).toBe(true);
  });

  test('halted: false that DescribeParameters did not list holds', () => {
    const { metadata: _, ...unlisted } = parameter(HALT, { ...record, halted: false }, OPERATOR);
    expect(judgeControls([unlisted], WHO).halt?.halted).toBe(true);
  });

  test('no halt flag is no halt; an unreadable one throws (the gate cannot decide)', () => {
    expect(judgeControls([], WHO).halt).toBeUndefined();
    expect(() => judgeControls([{ name: HALT, value: 'yes', metadata: { modifiedBy: OPERATOR } }], WHO)).toThrow(/unreadable/);
  });
});

describe('judgeControls: freezes and overrides', () => {
  test('written by the operator role they reach the calendar as they are', () => {
    const judged = judgeControls([parameter(FREEZES, [], OPERATOR), parameter(OVERRIDE, record, OPERATOR)], WHO);
    expect([...judged.parameters]).toEqual([
      [FREEZES, '[]'],
      [OVERRIDE, JSON.stringify(record)],
    ]);
  });

  test.each(OTHERS)('written by %s they do not reach it; their judgement does', (_who, arn) => {
    const by = arn ?? 'an unknown principal';
    const judged = judgeControls([parameter(FREEZES, [], arn), parameter(OVERRIDE, record, arn)], WHO);
    expect([...judged.parameters]).toEqual([
      [judgementName(FREEZES), `freezes parameter written outside the operator role by ${by}: held until \`tollgate freeze\` rewrites it`],
      [judgementName(OVERRIDE), `override of exec-1 ignored: written by ${by} not the operator role`],
    ]);
  });

  test('parameters that are no control are dropped', () => {
    expect(judgeControls([parameter('/tollgate/Tollgate/notes', 'x', OPERATOR)], WHO).parameters.size).toBe(0);
  });
});

describe('the calendar with judged controls', () => {
  const calendar = calendarReleaseWindow(DEFAULT_CALENDAR_SETTINGS, 'Tollgate');
  /** Friday 2026-03-13 17:00 New York: closed. Monday 2026-03-16 10:00 New York: open. */
  const FRIDAY_EVENING = new Date('2026-03-13T21:00:00Z');
  const MONDAY_MORNING = new Date('2026-03-16T14:00:00Z');
  const ask = async (now: Date, controls: [string, unknown][]) => {
    const verdict = await calendar({ now, pipelineExecutionId: 'exec-1', controls: new Map(controls.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) });
    if (!verdict) throw new Error('no calendar verdict');
    return verdict;
  };
  const override = (extra: object = {}) => ({ ...record, at: '2026-03-13T16:55:00-04:00', expiresAt: '2026-03-14T16:55:00-04:00', ...extra });
  const incident = { ...record, name: 'inc-9', at: '2026-03-13T08:00:00-04:00', end: '2026-03-20T00:00:00-04:00', incident: true };

  test('an unexpired override opens it and says who, when, why and until when', async () => {
    expect(await ask(FRIDAY_EVENING, [[OVERRIDE, override()]])).toEqual({
      open: true,
      reasons: [`break-glass override by ${record.by} at 2026-03-13T16:55:00-04:00 (expires 2026-03-14T16:55:00-04:00): why`],
    });
  });

  test('an expired override, or one without an expiry, is ignored and named', async () => {
    const expired = await ask(FRIDAY_EVENING, [[OVERRIDE, override({ expiresAt: '2026-03-13T16:59:00-04:00' })]]);
    expect(expired.open).toBe(false);
    expect(expired.reasons).toContain(`override of exec-1 by ${record.by} ignored: it expired at 2026-03-13T16:59:00-04:00`);
    const { expiresAt: _, ...forever } = override();
    expect((await ask(FRIDAY_EVENING, [[OVERRIDE, forever]])).reasons).toContain(`override of exec-1 by ${record.by} ignored: it has no expiry`);
  });

  test('an override written outside the operator role is named in the reasons of a closed calendar', async () => {
    const verdict = await ask(FRIDAY_EVENING, [[judgementName(OVERRIDE), 'override of exec-1 ignored: written by arn:x not the operator role']]);
    expect(verdict).toMatchObject({ open: false, reasons: ['Friday', 'override of exec-1 ignored: written by arn:x not the operator role'] });
  });

  test('what was ignored adds no reason to an open calendar (reasons on an open window would read as an override)', async () => {
    expect(await ask(MONDAY_MORNING, [[judgementName(OVERRIDE), 'ignored']])).toMatchObject({ open: true, reasons: [] });
  });

  test('an incident freeze keeps it closed under an override without forceFreeze', async () => {
    const verdict = await ask(FRIDAY_EVENING, [[FREEZES, [incident]], [OVERRIDE, override()]]);
    expect(verdict.open).toBe(false);
    expect(verdict.reasons).toEqual(expect.arrayContaining(['freeze: inc-9 until 2026-03-20T00:00:00-04:00', `override of exec-1 by ${record.by} does not bypass an incident freeze without --force-freeze`]));
  });

  test('a forced override opens it through an incident freeze, and says so first', async () => {
    const verdict = await ask(FRIDAY_EVENING, [[FREEZES, [incident]], [OVERRIDE, override({ forceFreeze: true })]]);
    expect(verdict.open).toBe(true);
    expect(verdict.reasons[0]).toMatch(/^break-glass override FORCED THROUGH incident freeze inc-9 until 2026-03-20T00:00:00-04:00: why by /);
  });

  test('an ordinary freeze, or an incident freeze not yet in force, does not need forceFreeze', async () => {
    const { incident: _, ...ordinary } = incident;
    expect((await ask(FRIDAY_EVENING, [[FREEZES, [ordinary]], [OVERRIDE, override()]])).open).toBe(true);
    const later = { ...incident, start: '2026-03-18T00:00:00-04:00' };
    expect((await ask(FRIDAY_EVENING, [[FREEZES, [later]], [OVERRIDE, override()]])).open).toBe(true);
  });

  test('a freezes parameter written outside the operator role holds even in the window, and only a forced override passes it', async () => {
    const held = 'freezes parameter written outside the operator role by arn:x: held until `tollgate freeze` rewrites it';
    expect(await ask(MONDAY_MORNING, [[judgementName(FREEZES), held]])).toEqual({ open: false, reasons: [held] });
    expect((await ask(MONDAY_MORNING, [[judgementName(FREEZES), held], [OVERRIDE, override({ expiresAt: '2026-03-17T00:00:00-04:00' })]])).open).toBe(false);
    expect((await ask(MONDAY_MORNING, [[judgementName(FREEZES), held], [OVERRIDE, override({ expiresAt: '2026-03-17T00:00:00-04:00', forceFreeze: true })]])).open).toBe(true);
  });
});
