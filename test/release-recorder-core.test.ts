import { readReleaseRecord, ReleaseRecord } from '@tollgate/constructs/lib/domain/release-record';
import { executionFacts } from '@tollgate/constructs/lib/domain/release-facts';
import {
  ActionDetail,
  alarmTimeOf,
  ExecutionContext,
  markRolledBack,
  parseRecorderEvent,
  recordEvent,
  recorderNeeds,
  RecorderOutput,
  rolledBackExecution,
} from '@tollgate/constructs/lib/lambdas/release-recorder/core';
import { actionEvent, APPROVAL, BUILD, DEPLOY, EXECUTION, executionEvent, SETTINGS, stageEvent } from './release-recorder-fixtures';
import { SHAPE } from './release-history-fixtures';

const NOW = new Date('2026-11-20T18:00:00Z');
const COMMIT: ExecutionContext = { executionType: 'STANDARD', commitId: 'abc1234def5678', commitTime: new Date('2026-11-20T09:30:00Z') };
const at = (hhmm: string) => `2026-11-20T${hhmm}:00Z`;
const run = (stage: string, action: string, start: string, end: string, category = 'Build', provider = 'CodeBuild'): ActionDetail['run'] => ({
  stage,
  action,
  category,
  provider,
  status: 'Succeeded',
  startedAt: Date.parse(at(start)),
  endedAt: Date.parse(at(end)),
});
const BUILD_DONE: ActionDetail = { run: run('Build', 'Build', '10:00', '10:09'), outputVariables: { RELEASE_VERSION: 'v1.4.17' } };

/** Applies events in order, as the adapter would: the execution read for a new record, the actions when one ends. */
function replay(events: unknown[], options: { execution?: ExecutionContext; actions?: ActionDetail[]; start?: ReleaseRecord } = {}): { record?: ReleaseRecord; outputs: RecorderOutput[] } {
  let record = options.start;
  const outputs: RecorderOutput[] = [];
  for (const raw of events) {
    const event = parseRecorderEvent(raw);
    const needs = recorderNeeds(event, record);
    const out = recordEvent({ event, record, execution: needs.execution ? (options.execution ?? COMMIT) : undefined, actions: needs.actions ? (options.actions ?? []) : undefined, now: NOW }, SETTINGS);
    outputs.push(out);
    record = out.record;
  }
  return { record, outputs };
}

const RELEASE = [
  executionEvent('STARTED', at('10:00')),
  stageEvent('Build', 'STARTED', at('10:00')),
  actionEvent('Build', 'Build', 'SUCCEEDED', at('10:09'), BUILD),
  stageEvent('Build', 'SUCCEEDED', at('10:09')),
  stageEvent('Dev', 'STARTED', at('10:30')),
  actionEvent('Dev', 'Bake', 'SUCCEEDED', at('11:40'), APPROVAL, 'Approved: dev clean for 60 minutes'),
  stageEvent('Dev', 'SUCCEEDED', at('11:40')),
  stageEvent('Prod', 'STARTED', at('11:41')),
  actionEvent('Prod', 'EntryCheck', 'SUCCEEDED', at('11:42'), APPROVAL),
  actionEvent('Prod', 'ProdBake', 'SUCCEEDED', at('12:30'), APPROVAL),
  stageEvent('Prod', 'SUCCEEDED', at('12:30')),
  executionEvent('SUCCEEDED', at('12:31')),
];

describe('a release', () => {
  const { record, outputs } = replay(RELEASE, { actions: [BUILD_DONE, { run: run('Prod', 'ProdBake', '11:55', '12:30', 'Approval', 'Manual') }] });

  test('is recorded with its commit, version, stage times, gate verdicts, usage and outcome, in the shape the metrics read', () => {
    expect(record).toMatchObject({
      executionId: EXECUTION,
      executionType: 'STANDARD',
      version: 'v1.4.17',
      commitId: 'abc1234def5678',
      commitTime: '2026-11-20T09:30:00Z',
      startedAt: at('10:00'),
      outcome: 'released',
      releasedAt: at('12:30'),
      endedAt: at('12:31'),
      stages: { Prod: { reachedAt: at('11:41'), succeededAt: at('12:30') }, Dev: { reachedAt: at('10:30'), succeededAt: at('11:40') } },
      usage: { actionMinutes: 9, buildMinutes: 9, gateMinutes: 35, bakeMinutes: 35 },
    });
    expect(record!.gates.map((g) => [g.kind, g.verdict])).toEqual([
      ['dev-bake', 'APPROVED'],
      ['entry-check', 'APPROVED'],
      ['prod-bake', 'APPROVED'],
    ]);
    expect(readReleaseRecord(JSON.parse(JSON.stringify(record)))).toEqual({ record: JSON.parse(JSON.stringify(record)) });
  });

  test('emits Deployments, the lead time and the cost once, and announces it once, when the last promotion stage succeeds', () => {
    const released = outputs.flatMap((o) => o.metrics).filter((m) => m.name === 'Deployments');
    expect(released).toEqual([{ name: 'Deployments', unit: 'Count', value: 1 }]);
    const lead = outputs.flatMap((o) => o.metrics).find((m) => m.name === 'LeadTimeSeconds');
    expect(lead?.value).toBe(3 * 3600);
    expect(outputs.flatMap((o) => o.metrics).find((m) => m.name === 'ReleaseCostDollars')?.value).toBeGreaterThan(0);
    const announcements = outputs.filter((o) => o.announcement).map((o) => o.announcement!);
    expect(announcements).toHaveLength(1);
    expect(announcements[0].message).toContain('Released v1.4.17 (commit abc1234) to prod at 2026-11-20T12:30:00Z.');
  });

  test('reads as released by the metrics', () => {
    const facts = executionFacts({ summary: { pipelineExecutionId: EXECUTION, status: 'Succeeded' }, record: { record: record! } }, SHAPE, NOW.getTime());
    expect(facts).toMatchObject({ outcome: 'released', version: 'v1.4.17', releasedAt: Date.parse(at('12:30')), commitTime: Date.parse('2026-11-20T09:30:00Z') });
  });

  test('a duplicate of any event changes nothing and emits nothing', () => {
    for (const event of RELEASE) {
      const again = replay([event], { start: record, actions: [BUILD_DONE] });
      expect(again.outputs[0]).toMatchObject({ changed: false, metrics: [] });
      expect(again.outputs[0].announcement).toBeUndefined();
    }
  });

  test('events in reverse order end in the same record', () => {
    const reversed = replay([...RELEASE].reverse(), { actions: [BUILD_DONE, { run: run('Prod', 'ProdBake', '11:55', '12:30', 'Approval', 'Manual') }] });
    expect(reversed.record).toEqual(record);
    expect(reversed.outputs.filter((o) => o.announcement)).toHaveLength(1);
  });
});

test('the pipeline succeeding before its last promotion stage event still releases it, and the stage event moves the time back', () => {
  const { record } = replay([executionEvent('STARTED', at('10:00')), executionEvent('SUCCEEDED', at('12:31')), stageEvent('Prod', 'SUCCEEDED', at('12:30'))]);
  expect(record).toMatchObject({ outcome: 'released', releasedAt: at('12:30'), endedAt: at('12:31') });
});

describe('a rejection in the dev bake', () => {
  const summary = 'Rejected: Dev-Service-Health entered ALARM at 11:02:30Z (reason: Threshold Crossed)';
  const { record, outputs } = replay([
    executionEvent('STARTED', at('10:00')),
    stageEvent('Dev', 'STARTED', at('10:30')),
    actionEvent('Dev', 'Bake', 'FAILED', at('11:03'), APPROVAL, summary),
    stageEvent('Dev', 'FAILED', at('11:03')),
    executionEvent('FAILED', at('11:04')),
  ]);

  test('records the rejection, the alarm time and the outcome', () => {
    expect(record).toMatchObject({ outcome: 'rejected', endedAt: at('11:04'), stages: { Dev: { reachedAt: at('10:30'), failedAt: at('11:03') } } });
    expect(record!.gates).toEqual([{ stage: 'Dev', action: 'Bake', kind: 'dev-bake', verdict: 'REJECTED', at: at('11:03'), alarmAt: '2026-11-20T11:02:30Z', reason: summary }]);
    expect(record!.releasedAt).toBeUndefined();
  });

  test('emits the stop by its gate and the halt latency; not a failed deployment (it never reached prod); announces nothing', () => {
    const metrics = outputs.flatMap((o) => o.metrics);
    expect(metrics).toEqual([
      { name: 'BuildsStopped', unit: 'Count', value: 1, gate: 'dev-bake' },
      { name: 'HaltLatencySeconds', unit: 'Seconds', value: 30 },
    ]);
    expect(outputs.some((o) => o.announcement)).toBe(false);
  });
});

test('a failed prod deployment is a failed deployment, counted once, and a failed build is stopped by its tests', () => {
  const prod = replay([
    executionEvent('STARTED', at('10:00')),
    actionEvent('Prod', 'Deploy', 'FAILED', at('12:00'), DEPLOY),
    executionEvent('FAILED', at('12:01')),
    executionEvent('FAILED', at('12:01')),
  ]);
  expect(prod.outputs.flatMap((o) => o.metrics)).toEqual([
    { name: 'BuildsStopped', unit: 'Count', value: 1, gate: 'canary' },
    { name: 'FailedDeployments', unit: 'Count', value: 1 },
  ]);
  const build = replay([actionEvent('Build', 'Build', 'FAILED', at('10:05'), BUILD)]);
  expect(build.record!.gates[0]).toMatchObject({ kind: 'tests', verdict: 'FAILED' });
});

describe('a rollback execution', () => {
  const ROLLBACK = '99999999-2222-4333-8444-555555555555';
  const context: ExecutionContext = { executionType: 'ROLLBACK', rollbackOf: EXECUTION };
  const { record } = replay([executionEvent('STARTED', at('13:00'), { executionId: ROLLBACK, triggerType: 'AutomatedRollback' }), executionEvent('SUCCEEDED', at('13:20'), { executionId: ROLLBACK })], {
    execution: context,
  });

  test('is recorded as a rollback of the execution it rolled back, with no version and no release', () => {
    expect(record).toMatchObject({ executionId: ROLLBACK, executionType: 'ROLLBACK', rollbackOf: EXECUTION, endedAt: at('13:20') });
    expect(record!.version).toBeUndefined();
    expect(record!.releasedAt).toBeUndefined();
  });

  test('marks the rolled-back release rolled back, once, as a failed deployment', () => {
    const released = replay(RELEASE).record!;
    const marked = markRolledBack(released, SETTINGS);
    expect(marked.record).toMatchObject({ outcome: 'rolled-back', releasedAt: at('12:30') });
    expect(marked.metrics).toEqual([{ name: 'FailedDeployments', unit: 'Count', value: 1 }]);
    expect(markRolledBack(marked.record, SETTINGS)).toMatchObject({ changed: false, metrics: [] });
    // A later end of the rolled-back execution keeps it rolled back.
    expect(replay([executionEvent('FAILED', at('14:00'))], { start: marked.record }).record!.outcome).toBe('rolled-back');
  });

  test('finds what it rolled back: the newest standard execution between the restored one and itself', () => {
    const summaries = [
      { pipelineExecutionId: 'later', startTime: new Date(at('13:30')), executionType: 'STANDARD' },
      { pipelineExecutionId: ROLLBACK, startTime: new Date(at('13:00')), executionType: 'ROLLBACK' },
      { pipelineExecutionId: EXECUTION, startTime: new Date(at('10:00')), executionType: 'STANDARD' },
      { pipelineExecutionId: 'restored', startTime: new Date(at('08:00')), executionType: 'STANDARD' },
    ];
    expect(rolledBackExecution(summaries, { executionId: ROLLBACK, targetExecutionId: 'restored' })).toBe(EXECUTION);
    expect(rolledBackExecution(summaries.slice(1, 2), { executionId: ROLLBACK, targetExecutionId: 'restored' })).toBeUndefined();
  });
});

test('a superseded execution is superseded; a stopped one stopped; a later outcome replaces an earlier one, an earlier one does not', () => {
  expect(replay([executionEvent('STARTED', at('10:00')), executionEvent('SUPERSEDED', at('10:20'))]).record).toMatchObject({ outcome: 'superseded', endedAt: at('10:20') });
  expect(replay([executionEvent('STOPPED', at('10:20'))]).record!.outcome).toBe('stopped');
  // Failed, retried (RESUMED), then stopped: delivered out of order, the latest state wins.
  const out = replay([executionEvent('STOPPED', at('11:00')), executionEvent('FAILED', at('10:20'))]);
  expect(out.record).toMatchObject({ outcome: 'stopped', endedAt: at('11:00') });
  const resumed = replay([executionEvent('FAILED', at('10:20')), executionEvent('RESUMED', at('10:40'))]);
  expect(resumed.record!.outcome).toBe('in-progress');
  expect(resumed.record!.endedAt).toBeUndefined();
});

test('a stage retried after a failure and passed is through; the earliest event seen dates the start', () => {
  const { record } = replay([stageEvent('Dev', 'SUCCEEDED', at('11:00')), stageEvent('Dev', 'FAILED', at('10:40')), stageEvent('Dev', 'STARTED', at('10:30'))]);
  expect(record!.stages.Dev).toEqual({ reachedAt: at('10:30'), succeededAt: at('11:00') });
  expect(record!.startedAt).toBe(at('10:30'));
});

test('usage never shrinks when an older read of the actions arrives after a newer one', () => {
  const first = replay([actionEvent('Build', 'Build', 'SUCCEEDED', at('10:09'), BUILD)], { actions: [BUILD_DONE, { run: run('Dev', 'Deploy', '10:30', '10:34', 'Deploy', 'CloudFormation') }] });
  const second = replay([actionEvent('Dev', 'Deploy', 'SUCCEEDED', at('10:34'), DEPLOY)], { start: first.record, actions: [BUILD_DONE] });
  expect(second.record!.usage).toEqual(first.record!.usage);
  expect(first.record!.usage!.actionMinutes).toBe(13);
});

test('the version is taken only from a well-formed exported variable, and never on a rollback', () => {
  const bad = replay([actionEvent('Build', 'Build', 'SUCCEEDED', at('10:09'), BUILD)], { actions: [{ ...BUILD_DONE, outputVariables: { RELEASE_VERSION: '1.4' } }] });
  expect(bad.record!.version).toBeUndefined();
  const rollback = replay([actionEvent('Build', 'Build', 'SUCCEEDED', at('10:09'), BUILD)], { execution: { executionType: 'ROLLBACK' }, actions: [BUILD_DONE] });
  expect(rollback.record!.version).toBeUndefined();
});

test('what the adapter must read: the execution for a new or commitless record, the actions when something ended', () => {
  const started = parseRecorderEvent(executionEvent('STARTED', at('10:00')));
  expect(recorderNeeds(started, undefined)).toEqual({ execution: true, actions: false });
  const recorded = replay([executionEvent('STARTED', at('10:00'))]).record!;
  expect(recorderNeeds(parseRecorderEvent(stageEvent('Dev', 'STARTED', at('10:30'))), recorded)).toEqual({ execution: false, actions: false });
  expect(recorderNeeds(parseRecorderEvent(actionEvent('Dev', 'Deploy', 'SUCCEEDED', at('10:34'), DEPLOY)), recorded)).toEqual({ execution: false, actions: true });
  expect(recorderNeeds(parseRecorderEvent(executionEvent('SUPERSEDED', at('10:34'))), recorded)).toEqual({ execution: false, actions: true });
});

test.each([
  ['Rejected: X entered ALARM at 11:02:30Z (reason: r)', '2026-11-20T11:03:00Z', '2026-11-20T11:02:30Z'],
  ['Rejected: X entered ALARM at 23:59:00Z (reason: r)', '2026-11-21T00:01:00Z', '2026-11-20T23:59:00Z'],
  ['Rejected: X entered ALARM at 2026-11-19T22:00:00Z (reason: r)', '2026-11-20T11:00:00Z', '2026-11-19T22:00:00Z'],
  ['Rejected: X in ALARM since 09:00:00Z, before the bake started', '2026-11-20T11:00:00Z', undefined],
])('the alarm time in %j', (summary, verdict, expected) => {
  expect(alarmTimeOf(summary, new Date(verdict))?.toISOString().replace('.000Z', 'Z')).toBe(expected);
});

test.each([
  [{ source: 'aws.cloudwatch' }, 'event.source'],
  [{ detail: { pipeline: 'Tollgate', 'execution-id': 'e1', state: 'STARTED' } }, 'event.detail.execution-id must be a CodePipeline execution ID, got "e1"'],
  [{ time: 'noon' }, 'event.time must be an ISO-8601 instant, got "noon"'],
])('an unusable event is refused in one line naming the field: %j', (change, problem) => {
  expect(() => parseRecorderEvent({ ...executionEvent('STARTED', at('10:00')), ...change })).toThrow(problem);
});
