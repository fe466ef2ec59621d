/**
 * `metrics` over the wire: real SDK clients (JSON 1.1 CodePipeline, JSON 1.0 DynamoDB, paging, retries) against a
 * local endpoint serving long crafted histories. What the command reports must be exactly what the metrics core
 * folds from the same executions: the reader pages, joins records and reads actions without losing or inventing any.
 */
import { priceTable } from '@tollgate/constructs/lib/domain/release-cost';
import { executionFacts } from '@tollgate/constructs/lib/domain/release-facts';
import { ReleaseMetrics, ReleaseMetricsFold } from '@tollgate/constructs/lib/domain/release-metrics';
import type { MetricsReport } from '../cli/commands/metrics';
import { NOW, run, serveEndpointForSuite } from './cli-fixture';
import { marshall } from '@aws-sdk/util-dynamodb';
import { FakeAwsEndpoint, json, jsonError, toWire } from './fake-aws-endpoint';
import { expectGolden } from './golden';
import { SHAPE, ServedHistory, craftExecution, executionId, historyExecution, historyRecord, inputOf, serveReleaseHistory } from './release-history-fixtures';

const endpoint = new FakeAwsEndpoint();
serveEndpointForSuite(endpoint);

const DAY = 86_400_000;
const operations = () => endpoint.requests.map((r) => r.operation);
const calls = (operation: string) => operations().filter((o) => o === operation).length;

/** 2,000 executions 21.6 minutes apart in the last 30 days, then older ones the period does not reach. */
const LONG: ServedHistory = { count: 2_150, end: NOW.getTime(), spacingMinutes: 21.6 };
const IN_PERIOD = 2_000;

/** What the metrics core folds from the served history's executions since `since`. */
function expected(history: ServedHistory, sinceDays: number): ReleaseMetrics {
  const now = NOW.getTime();
  const fold = new ReleaseMetricsFold({ since: new Date(now - sinceDays * DAY), now: NOW, fixWindowMinutes: 24 * 60, prices: priceTable() });
  for (let i = 0; i < history.count; i++) {
    const execution = historyExecution(i, history.end, history.spacingMinutes);
    fold.add(executionFacts(inputOf(execution, history.recorded?.(i) ? historyRecord(execution) : undefined), SHAPE, now));
  }
  return JSON.parse(JSON.stringify(fold.result()));
}

async function metricsJson(...args: string[]): Promise<MetricsReport> {
  const result = await run('metrics', ...args, '--json');
  expect(result.err).toEqual([]);
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { result: MetricsReport }).result;
}

test('2,000 executions in the period, all but every twentieth with a release record: paged to the end of the period and no further, actions asked for only where there is no record', async () => {
  const history = { ...LONG, recorded: (i: number) => i % 20 !== 0 };
  serveReleaseHistory(endpoint, history);
  const { pipeline, recordTable, gaps, ...metrics } = await metricsJson();
  const { gaps: foldGaps, ...want } = expected(history, 30);
  expect(metrics).toEqual(want);
  expect(metrics.executions).toMatchObject({ read: IN_PERIOD, recorded: IN_PERIOD - IN_PERIOD / 20 });
  expect(pipeline).toEqual({ name: 'Tollgate', account: '111111111111', region: 'us-east-1' });
  expect(recordTable).toEqual({ name: 'Tollgate-ReleaseRecord', state: 'read' });
  expect(gaps).toEqual(foldGaps);
  // The page that reaches back past the period is the last one asked for; the records are asked for a page at a time.
  expect(calls('ListPipelineExecutions')).toBe(IN_PERIOD / 100 + 1);
  expect(calls('BatchGetItem')).toBe(IN_PERIOD / 100);
  expect(calls('ListActionExecutions')).toBe(IN_PERIOD / 20);
  expect(endpoint.calls('codepipeline:ListActionExecutions')[0].input).toEqual({ pipelineName: 'Tollgate', filter: { pipelineExecutionId: executionId(0) }, maxResults: 100 });
  // Only reads.
  expect(operations().filter((o) => !/^(Get|List|BatchGet)/.test(o))).toEqual([]);
});

test('without a release record table: every execution from its action history, the table asked once', async () => {
  const history = { ...LONG, count: 260, spacingMinutes: 120 };
  serveReleaseHistory(endpoint, history);
  const { recordTable, gaps, pipeline, ...metrics } = await metricsJson();
  const { gaps: foldGaps, ...want } = expected(history, 30);
  expect(metrics).toEqual(want);
  expect(metrics.executions).toMatchObject({ read: 260, recorded: 0 });
  expect(pipeline.name).toBe('Tollgate');
  expect(recordTable).toEqual({ name: 'Tollgate-ReleaseRecord', state: 'absent' });
  expect(gaps).toEqual([
    "release record table Tollgate-ReleaseRecord does not exist (the release recorder is not deployed): every execution read from CodePipeline's history alone",
    ...foldGaps,
  ]);
  expect(calls('ListPipelineExecutions')).toBe(3);
  expect(calls('ListActionExecutions')).toBe(260);
  expect(calls('BatchGetItem')).toBe(1);
});

test('--since 2d reads only the first page and names the period', async () => {
  serveReleaseHistory(endpoint, LONG);
  const metrics = await metricsJson('--since', '2d');
  expect(metrics.period).toMatchObject({ since: '2026-11-20T10:30:00Z', until: '2026-11-22T10:30:00Z', days: 2 });
  expect(metrics.executions.read).toBe(Math.floor((2 * DAY) / (LONG.spacingMinutes * 60_000)));
  expect(calls('ListPipelineExecutions')).toBe(2);
});

test('keys DynamoDB leaves unprocessed are asked again', async () => {
  const history = { ...LONG, count: 30, recorded: () => true };
  serveReleaseHistory(endpoint, history);
  endpoint.first('dynamodb:BatchGetItem', (r) => {
    if (calls('BatchGetItem') > 1) return undefined;
    const keys = (r.input.RequestItems as Record<string, { Keys: unknown[] }>)['Tollgate-ReleaseRecord'].Keys;
    return json({ Responses: { 'Tollgate-ReleaseRecord': [] }, UnprocessedKeys: { 'Tollgate-ReleaseRecord': { Keys: keys } } });
  });
  const metrics = await metricsJson();
  expect(metrics.executions).toMatchObject({ read: 30, recorded: 30 });
  expect(calls('BatchGetItem')).toBe(2);
});

test('a record table it may not read is named, and the metrics come from the history', async () => {
  serveReleaseHistory(endpoint, { ...LONG, count: 12, recorded: () => true });
  endpoint.first('dynamodb:BatchGetItem', () => jsonError(400, 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', 'User is not authorized to perform: dynamodb:BatchGetItem'));
  const metrics = await metricsJson();
  expect(metrics.recordTable).toMatchObject({ state: 'unreadable', error: 'AccessDeniedException: User is not authorized to perform: dynamodb:BatchGetItem' });
  expect(metrics.gaps[0]).toMatch(/^release record table Tollgate-ReleaseRecord unreadable \(AccessDeniedException: .*\): every execution read from CodePipeline's history alone$/);
  expect(metrics.executions).toMatchObject({ read: 12, recorded: 0 });
});

test('action history it may not read: one line naming account and region, exit 1', async () => {
  serveReleaseHistory(endpoint, { ...LONG, count: 12 });
  endpoint.first('codepipeline:ListActionExecutions', () => jsonError(400, 'AccessDeniedException', 'User is not authorized to perform: codepipeline:ListActionExecutions'));
  const result = await run('metrics');
  expect(result.code).toBe(1);
  expect(result.err).toEqual(['tollgate: access denied in account 111111111111 region us-east-1: User is not authorized to perform: codepipeline:ListActionExecutions']);
});

test.each([
  [['--since', 'forever'], '--since must be an ISO-8601 time like 2026-11-27T08:59:00-05:00, or a local time like 2026-11-27T08:59 (America/New_York), got "forever"'],
  [['--since', '400d'], '--since must reach back from now by at most 366 days (like 30d, 12h, 2w or 2026-10-01), got "400d"'],
  [['--fix-window', '0m'], '--fix-window must be a span from 1m to 30d (like 24h or 3d), got "0m"'],
])('bad input %j: one line, exit 2, no AWS call', async (args, line) => {
  const result = await run('metrics', ...args);
  expect(result.code).toBe(2);
  expect(result.err).toEqual([`tollgate: ${line}`]);
  expect(endpoint.requests).toEqual([]);
});

test('the text: DORA, then Tollgate\'s own, then the cost, then what lacks data', async () => {
  // A week: a release and its fix the next day, a release rolled back, one rejected in its dev bake, a build
  // superseded; records for the first two.
  const day = (n: number) => NOW.getTime() - n * DAY;
  const executions = [
    craftExecution(1, day(6)),
    craftExecution(2, day(5), { message: 'fix: the header overlaps the menu' }),
    craftExecution(3, day(4)),
    craftExecution(4, day(4) + 3 * 3_600_000, { rollback: 'ManualRollback' }),
    craftExecution(5, day(2), { failAt: 'Dev/Bake' }),
    craftExecution(6, day(1), { endBefore: 'Dev/Prepare', status: 'Superseded' }),
  ].reverse();
  const byId = new Map(executions.map((e) => [e.summary.pipelineExecutionId!, e]));
  const records = [executionId(1), executionId(2)].map((id) => marshall(historyRecord(byId.get(id)!), { removeUndefinedValues: true }));
  endpoint
    .first('codepipeline:ListPipelineExecutions', () => json(toWire({ pipelineExecutionSummaries: executions.map((e) => e.summary) })))
    .first('codepipeline:ListActionExecutions', (r) => json(toWire({ actionExecutionDetails: byId.get((r.input.filter as { pipelineExecutionId: string }).pipelineExecutionId)!.details })))
    .first('dynamodb:BatchGetItem', () => json({ Responses: { 'Tollgate-ReleaseRecord': records } }));
  const result = await run('metrics', '--since', '7d');
  expect(result.err).toEqual([]);
  expect(result.code).toBe(0);
  expect(result.out.filter((line) => line.length > 100)).toEqual([]);
  expectGolden('metrics', result.out);
});
