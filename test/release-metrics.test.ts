/**
 * The release metrics on crafted histories: each scenario is executions of the default pipeline with known
 * minutes per action ({@link STANDARD_PATH}), so every expected figure follows from the scenario itself.
 */
import { LIST_PRICES, priceTable } from '@tollgate/constructs/lib/domain/release-cost';
import { executionFacts } from '@tollgate/constructs/lib/domain/release-facts';
import { ReleaseMetrics, ReleaseMetricsFold } from '@tollgate/constructs/lib/domain/release-metrics';
import { ReleaseRecord } from '@tollgate/constructs/lib/domain/release-record';
import { CraftedExecution, ROLLBACK_PATH, SHAPE, STANDARD_PATH, craftExecution, inputOf, pathMinutes, recordOf } from './release-history-fixtures';

const NOW = Date.parse('2026-11-22T10:30:00Z');
const DAY = 86_400_000;
const MINUTE = 60_000;
const PRICES = LIST_PRICES.prices;
/** A release along the standard path takes this long from its start. */
const PATH_MS = pathMinutes(() => true) * MINUTE;

type Entry = CraftedExecution | { execution: CraftedExecution; record: ReleaseRecord | Record<string, unknown> };

function metrics(entries: readonly Entry[], fixWindowMinutes = 24 * 60): ReleaseMetrics {
  const fold = new ReleaseMetricsFold({ since: new Date(NOW - 30 * DAY), now: new Date(NOW), fixWindowMinutes, prices: priceTable() });
  for (const entry of entries) {
    const input = 'summary' in entry ? inputOf(entry) : inputOf(entry.execution, entry.record);
    fold.add(executionFacts(input, SHAPE, NOW));
  }
  return fold.result();
}

const releasedAt = (e: CraftedExecution) => e.summary.lastUpdateTime!.getTime();
const seconds = (ms: number) => Math.round(ms / 1000);

test('an empty history: every metric says it has no data, nothing is invented', () => {
  const m = metrics([]);
  expect(m.executions).toMatchObject({ read: 0, recorded: 0, rollbackExecutions: 0 });
  expect(m.deploymentFrequency).toEqual({ releases: 0, perWeek: 0, daysWithRelease: 0 });
  expect(m.leadTime).toEqual({ missing: 'no release in the period' });
  expect(m.pipelineTime).toEqual({ missing: 'no release in the period' });
  expect(m.changeFailureRate).toEqual({ missing: 'no deployment to prod in the period' });
  expect(m.timeToRestore).toEqual({ missing: 'no failed deployment in the period' });
  expect(m.reworkRate).toEqual({ missing: 'no release in the period' });
  expect(m.haltLatency).toEqual({ missing: expect.stringContaining('only the release record has alarm times (no release record was read)') });
  expect(m.cost.perRelease).toEqual({ missing: 'no release in the period' });
  expect(m.cost.spend).toEqual({ executions: 0, dollars: 0, perReleaseDollars: undefined });
  expect(m.latestRelease).toBeUndefined();
});

describe('one clean release from the history alone', () => {
  const release = craftExecution(1, NOW - 2 * DAY);
  const m = metrics([release]);

  test('counts it as a release and a deployment to prod, with its pipeline time; lead time needs a commit time', () => {
    expect(m.deploymentFrequency).toEqual({ releases: 1, perWeek: Math.round((1 / 30) * 7 * 10) / 10, daysWithRelease: 1 });
    expect(m.pipelineTime).toEqual({ count: 1, medianSeconds: PATH_MS / 1000, p90Seconds: PATH_MS / 1000, maxSeconds: PATH_MS / 1000 });
    expect(m.leadTime).toEqual({ missing: expect.stringMatching(/^no release has a commit time: CodePipeline's history does not have it/) });
    expect(m.changeFailureRate).toEqual({ deployments: 1, failed: 0, percent: 0, failedInProd: 0, rolledBack: 0, fixedForward: 0 });
    expect(m.executions.outcomes).toMatchObject({ released: 1, rejected: 0, 'rolled-back': 0 });
    expect(m.latestRelease).toEqual({ executionId: release.summary.pipelineExecutionId, version: undefined, releasedAt: new Date(releasedAt(release)).toISOString().replace('.000', '') });
    expect(m.gaps).toEqual(["1 of 1 executions from CodePipeline's history alone: no commit time, gate verdicts or alarm times for them"]);
  });

  test("its cost: CodePipeline's action minutes without the approvals, CodeBuild's minutes, the gate's checks and the synthetic checks while it waited in the gate's approvals", () => {
    const facts = executionFacts(inputOf(release), SHAPE, NOW);
    const approval = (s: readonly unknown[]) => s[2] === 'Approval';
    const gated = (s: readonly unknown[]) => ['Dev/Bake', 'Prod/EntryCheck', 'Prod/ProdBake'].includes(`${s[0]}/${s[1]}`);
    const baked = (s: readonly unknown[]) => ['Dev/Bake', 'Prod/ProdBake'].includes(`${s[0]}/${s[1]}`);
    expect(facts.usage).toEqual({
      actionMinutes: pathMinutes((s) => !approval(s)),
      buildMinutes: { 'general1.medium': pathMinutes((s) => s[3] === 'CodeBuild') },
      gateMinutes: pathMinutes(gated),
      bakeMinutes: pathMinutes(baked),
      assetBytes: undefined,
      crossRegionAssetBytes: undefined,
    });
    const perRelease = m.cost.perRelease as Exclude<ReleaseMetrics['cost']['perRelease'], { missing: string }>;
    expect(perRelease.meanItems['synthetic checks']).toBeCloseTo(pathMinutes(baked) * PRICES.syntheticsCanaryRun, 10);
    expect(perRelease.meanItems.CodeBuild).toBeCloseTo(pathMinutes((s) => s[3] === 'CodeBuild') * PRICES.codeBuildMinute['general1.medium'], 10);
    expect(perRelease.medianDollars).toBeCloseTo(Object.values(perRelease.meanItems).reduce((a, b) => a + b, 0), 10);
    expect(m.cost.spend.dollars).toBeCloseTo(perRelease.medianDollars, 10);
    expect(m.cost.prices).toBe('us-east-1 list prices as of June 2025, unverified');
  });
});

describe('a release rolled back by hand', () => {
  const first = craftExecution(1, NOW - 10 * DAY);
  const second = craftExecution(2, NOW - 5 * DAY);
  const rollbackStart = releasedAt(second) + 60 * MINUTE;
  const rollback = craftExecution(3, rollbackStart, { rollback: 'ManualRollback' });
  const m = metrics([rollback, second, first]);

  test('the release it rolled back is a failed change, restored when the rollback succeeded', () => {
    expect(m.changeFailureRate).toEqual({ deployments: 2, failed: 1, percent: 50, failedInProd: 0, rolledBack: 1, fixedForward: 0 });
    expect(m.timeToRestore).toEqual({ count: 1, medianSeconds: seconds(pathMinutes(() => true, ROLLBACK_PATH) * MINUTE), p90Seconds: seconds(pathMinutes(() => true, ROLLBACK_PATH) * MINUTE), maxSeconds: 600, stillFailing: 0 });
    expect(m.executions).toMatchObject({ read: 3, rollbackExecutions: 1, outcomes: expect.objectContaining({ released: 1, 'rolled-back': 1 }) });
    // A rollback is no release.
    expect(m.deploymentFrequency.releases).toBe(2);
  });

  test('the order executions arrive in does not matter', () => {
    expect(metrics([first, rollback, second])).toEqual(m);
  });

  test('a second rollback while prod already runs the older release fails nothing more', () => {
    const again = craftExecution(4, rollbackStart + DAY, { rollback: 'ManualRollback' });
    expect(metrics([again, rollback, second, first]).changeFailureRate).toMatchObject({ deployments: 2, failed: 1, rolledBack: 1 });
  });
});

describe('a build that failed in prod and was rolled back by CodePipeline', () => {
  const first = craftExecution(1, NOW - 10 * DAY);
  const bad = craftExecution(2, NOW - 5 * DAY, { failAt: 'Prod/ProdBake' });
  const failedAt = releasedAt(bad);
  const rollback = craftExecution(3, failedAt + MINUTE, { rollback: 'AutomatedRollback' });
  const m = metrics([rollback, bad, first]);

  test('is a failed deployment, restored when the rollback ended; the prod bake stopped it', () => {
    expect(m.changeFailureRate).toEqual({ deployments: 2, failed: 1, percent: 50, failedInProd: 1, rolledBack: 0, fixedForward: 0 });
    expect((m.timeToRestore as { medianSeconds: number }).medianSeconds).toBe(seconds(releasedAt(rollback) - failedAt));
    expect(m.stoppedBy.gates['prod-bake']).toBe(1);
    expect(m.executions.outcomes).toMatchObject({ released: 1, rejected: 1, 'rolled-back': 0 });
  });

  test('with its record, the failure starts when the alarm fired, and the halt latency is the alarm to the rejection', () => {
    const alarmAt = failedAt - 20 * MINUTE;
    const rejectedAt = alarmAt + 14_000;
    const record = recordOf(bad, 30, {
      gates: [
        { stage: 'Dev', action: 'Bake', kind: 'dev-bake', verdict: 'APPROVED', at: new Date(failedAt - 60 * MINUTE).toISOString() },
        { stage: 'Prod', action: 'ProdBake', kind: 'prod-bake', verdict: 'REJECTED', at: new Date(rejectedAt).toISOString(), alarmAt: new Date(alarmAt).toISOString(), reason: 'Prod-Service-Health entered ALARM' },
      ],
    });
    const recorded = metrics([rollback, { execution: bad, record }, first]);
    expect((recorded.timeToRestore as { medianSeconds: number }).medianSeconds).toBe(seconds(releasedAt(rollback) - alarmAt));
    expect(recorded.haltLatency).toEqual({ count: 1, medianSeconds: 14, p90Seconds: 14, maxSeconds: 14 });
    expect(recorded.stoppedBy.gates['prod-bake']).toBe(1);
    expect(recorded.executions.recorded).toBe(1);
  });
});

test('a superseded build and one in progress are neither deployments nor stopped by a gate, but their minutes are spent', () => {
  const superseded = craftExecution(1, NOW - 3 * DAY, { endBefore: 'Dev/Prepare', status: 'Superseded' });
  const running = craftExecution(2, NOW - 60 * MINUTE, { endBefore: 'Dev/Bake', status: 'InProgress' });
  const m = metrics([running, superseded]);
  expect(m.executions.outcomes).toMatchObject({ superseded: 1, 'in-progress': 1, released: 0 });
  expect(m.changeFailureRate).toEqual({ missing: 'no deployment to prod in the period' });
  expect(Object.values(m.stoppedBy.gates).every((n) => n === 0)).toBe(true);
  expect(m.stoppedBy.other).toEqual({});
  const spent = pathMinutes((s) => ['Source', 'Build', 'UpdatePipeline', 'Assets'].includes(s[0]) && s[2] !== 'Approval');
  expect(m.cost.spend.dollars).toBeGreaterThanOrEqual(2 * spent * PRICES.codePipelineActionMinute);
  expect(m.cost.spend.perReleaseDollars).toBeUndefined();
});

test('builds stopped by each gate; an entry check or the guard stops a build before it deploys to prod', () => {
  const at = (n: number) => NOW - n * DAY;
  const m = metrics([
    craftExecution(1, at(9), { failAt: 'Build/Build' }),
    craftExecution(2, at(8), { failAt: 'Dev/Bake' }),
    craftExecution(3, at(7), { failAt: 'Dev/ReplacementGuard-Dev-Service' }),
    craftExecution(4, at(6), { failAt: 'Prod/EntryCheck' }),
    craftExecution(5, at(5), { failAt: 'Prod/ReplacementGuard-Prod-Service' }),
    craftExecution(6, at(4), { failAt: 'Prod/Deploy' }),
    craftExecution(7, at(3), { failAt: 'Assets/FileAssets' }),
  ]);
  expect(m.stoppedBy).toEqual({
    gates: { tests: 1, 'dev-bake': 1, guard: 2, 'entry-check': 1, canary: 1, 'prod-bake': 0, 'wave-bake': 0 },
    other: { 'Assets/FileAssets': 1 },
  });
  // Only the canary's build deployed to prod; nothing restored it yet.
  expect(m.changeFailureRate).toMatchObject({ deployments: 1, failed: 1, failedInProd: 1 });
  expect(m.timeToRestore).toEqual({ missing: 'no failed deployment restored yet' });
  expect(m.executions.outcomes.rejected).toBe(7);
});

describe('fixes', () => {
  const first = craftExecution(1, NOW - 10 * DAY);
  const fix = craftExecution(2, releasedAt(first) + 2 * 60 * MINUTE, { message: 'fix(header): overlaps the menu' });
  const laterFix = craftExecution(3, releasedAt(fix) + 3 * DAY, { message: 'fix: typo in the footer' });

  test('a fix released within the fix window fixes the release before it forward: a failed change, and rework', () => {
    const m = metrics([laterFix, fix, first]);
    expect(m.changeFailureRate).toEqual({ deployments: 3, failed: 1, percent: 33.3, failedInProd: 0, rolledBack: 0, fixedForward: 1 });
    expect(m.reworkRate).toEqual({ releases: 3, rework: 1, percent: 33.3 });
    expect((m.timeToRestore as { medianSeconds: number }).medianSeconds).toBe(seconds(releasedAt(fix) - releasedAt(first)));
  });

  test('outside the window a fix is planned work; a wider window counts it', () => {
    expect(metrics([laterFix, fix, first], 60).reworkRate).toMatchObject({ rework: 0 });
    expect(metrics([laterFix, fix, first], 4 * 24 * 60).reworkRate).toMatchObject({ rework: 2 });
  });

  test.each(['Revert "Add the tile cache"', 'revert: tile cache', 'hotfix for INC-4711', 'fix!: drop the legacy route'])('%j is a fix', (message) => {
    expect(executionFacts(inputOf(craftExecution(9, NOW - DAY, { message })), SHAPE, NOW).fix).toBe(true);
  });

  test.each(['Fixture for the tile server', 'Add a prefix fix-up script', 'Revertible migrations'])('%j is not', (message) => {
    expect(executionFacts(inputOf(craftExecution(9, NOW - DAY, { message })), SHAPE, NOW).fix).toBe(false);
  });
});

describe('a release held over a weekend by the calendar, with its record', () => {
  // Pushed Friday 14:00 New York, committed 30 min before; the dev bake ends Friday evening and the calendar
  // holds the build in its approval until Monday 09:00 New York.
  const start = Date.parse('2026-11-13T19:00:00Z');
  const commitTime = start - 30 * MINUTE;
  const beforeBake = pathMinutes((s) => ['Source', 'Build', 'UpdatePipeline', 'Assets', 'Sandbox'].includes(s[0]) || (s[0] === 'Dev' && s[1] !== 'Bake'));
  const bakeEnds = start + (beforeBake + 63) * MINUTE;
  const opens = Date.parse('2026-11-16T14:00:00Z');
  const held = craftExecution(1, start, { holdMinutes: (opens - bakeEnds) / MINUTE });
  const m = metrics([{ execution: held, record: recordOf(held, 30) }]);
  const released = opens + pathMinutes((s) => s[0] === 'Prod') * MINUTE;

  test('lead time runs from the commit to the prod bake passed, across the weekend', () => {
    expect(releasedAt(held)).toBe(released);
    expect(m.leadTime).toEqual({ count: 1, ofReleases: 1, medianSeconds: seconds(released - commitTime), p90Seconds: seconds(released - commitTime), maxSeconds: seconds(released - commitTime) });
    expect(m.pipelineTime).toMatchObject({ medianSeconds: seconds(released - start) });
    expect(m.latestRelease).toEqual({ executionId: held.summary.pipelineExecutionId, version: 'v1.4.1', releasedAt: '2026-11-16T14:50:00Z' });
    expect(m.gaps).toEqual([]);
  });

  test('the weekend in the approval costs the gate checks and synthetic checks of every minute held', () => {
    const waited = (opens - start) / MINUTE - beforeBake + pathMinutes((s) => s[1] === 'ProdBake');
    const items = (m.cost.perRelease as { meanItems: Record<string, number> }).meanItems;
    expect(items['synthetic checks']).toBeCloseTo(waited * PRICES.syntheticsCanaryRun, 10);
  });
});

describe('release records', () => {
  const execution = craftExecution(1, NOW - DAY);

  test('an unreadable record is named, and the execution is read from its history', () => {
    const m = metrics([{ execution, record: { ...recordOf(execution, 5), schemaVersion: 2 } }]);
    expect(m.executions).toMatchObject({ read: 1, recorded: 0, unreadableRecords: 1 });
    expect(m.gaps).toContain(`1 release records unreadable, read from the history instead (first: ${execution.summary.pipelineExecutionId}: record.schemaVersion must be one of 1, got 2)`);
    expect(m.deploymentFrequency.releases).toBe(1);
  });

  test("a release the record calls rolled back is counted once, by the rollback that follows it", () => {
    const rollback = craftExecution(2, releasedAt(execution) + MINUTE, { rollback: 'ManualRollback' });
    const m = metrics([rollback, { execution, record: recordOf(execution, 5, { outcome: 'rolled-back' }) }]);
    expect(m.executions.outcomes).toMatchObject({ released: 0, 'rolled-back': 1 });
  });

  test('a dev bake rejected and retried: the release counts, the rejection does not stop it', () => {
    const retried: CraftedExecution = {
      summary: execution.summary,
      details: [...execution.details, { ...execution.details.find((d) => d.actionName === 'Bake')!, status: 'Failed', startTime: new Date(NOW - DAY), lastUpdateTime: new Date(NOW - DAY + MINUTE) }],
    };
    const facts = executionFacts(inputOf(retried), SHAPE, NOW);
    expect(facts.releasedAt).toBe(releasedAt(execution));
    expect(facts.stoppedBy).toBeUndefined();
  });
});

describe('builds stopped, by their records', () => {
  const at = (n: number) => NOW - n * DAY;
  const failed = [craftExecution(1, at(3), { failAt: 'Dev/Bake' }), craftExecution(2, at(2), { failAt: 'Build/Build' }), craftExecution(3, at(1), { failAt: 'Assets/FileAssets' })];

  test("the gate's verdict says which gate; a failed stage without one is named by the stage", () => {
    const m = metrics(failed.map((execution) => ({ execution, record: recordOf(execution, 10) })));
    expect(m.executions.recorded).toBe(3);
    expect(m.stoppedBy).toEqual({ gates: expect.objectContaining({ 'dev-bake': 1, tests: 1 }), other: { Assets: 1 } });
  });
});

test('a build stopped while it deployed to prod (stop --abort) is a failed deployment, by its history or its record', () => {
  const stopped = craftExecution(1, NOW - 2 * DAY, { endBefore: 'Prod/ProdBake', status: 'Stopped' });
  const fromHistory = metrics([stopped]);
  expect(fromHistory.changeFailureRate).toMatchObject({ deployments: 1, failedInProd: 1 });
  expect(fromHistory.executions.outcomes.stopped).toBe(1);
  const fromRecord = metrics([{ execution: stopped, record: recordOf(stopped, 10, { outcome: 'stopped' }) }]);
  expect(fromRecord.executions.recorded).toBe(1);
  expect(fromRecord.changeFailureRate).toEqual(fromHistory.changeFailureRate);
});

test('executions that started before the period are not counted', () => {
  const old = craftExecution(1, NOW - 40 * DAY);
  expect(metrics([old]).executions.read).toBe(0);
});

test('the standard path is the default pipeline: every stage of the manifest, the gate actions in it', () => {
  expect([...new Set(STANDARD_PATH.map((s) => s[0]))]).toEqual(SHAPE.stages);
  for (const gate of SHAPE.gateActions) expect(STANDARD_PATH.some((s) => s[0] === gate.stage && s[1] === gate.action && s[2] === 'Approval')).toBe(true);
});
