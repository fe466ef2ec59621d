/**
 * `tollgate metrics` over 10,000 executions: wall time and peak memory (the process's maximum resident set).
 * The command runs against a local endpoint (real SDK clients, paging, signing, parsing; no network latency, so
 * the time is the command's own) served by another process, so neither its time nor its peak includes the fake's
 * work: once with a release record for every execution, once without a record table (then every execution's
 * actions are read with ListActionExecutions). Then the metrics core alone: the facts and the fold of the same
 * executions, timed without making them; and, for scale, the command line's own peak running `window`. Each
 * measurement runs in a process of its own, so each peak is its own.
 * Targets: ≤ 2 s and ≤ 200 MB. A target missed prints "NOT met".
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { priceTable } from '@tollgate/constructs/lib/domain/release-cost';
import { executionFacts } from '@tollgate/constructs/lib/domain/release-facts';
import { ReleaseMetricsFold } from '@tollgate/constructs/lib/domain/release-metrics';
import { NOW, clearTollgateEnv, run, serveHealthyPipeline, useEndpoint } from '../test/cli-fixture';
import { FakeAwsEndpoint } from '../test/fake-aws-endpoint';
import { SHAPE, ServedHistory, historyExecution, historyRecord, inputOf, serveReleaseHistory } from '../test/release-history-fixtures';

const EXECUTIONS = 10_000;
const TARGET_MS = 2_000;
const TARGET_MB = 200;
/** 10,000 executions 52 minutes apart: all within `--since 365d`. */
const HISTORY: ServedHistory = { count: EXECUTIONS, end: NOW.getTime(), spacingMinutes: 52 };

type Scenario = 'recorded' | 'history' | 'fold' | 'baseline';

const SCENARIOS: Record<Scenario, string> = {
  recorded: 'metrics, a release record for every execution',
  history: 'metrics, no record table: ListActionExecutions each',
  fold: 'the metrics core alone: facts and fold',
  baseline: 'for scale: the command line alone (tollgate window)',
};

interface Measured {
  readonly ms: number;
  readonly calls: number;
  readonly releases: number;
}

const tsx = (...args: string[]) => [require.resolve('tsx/cli'), __filename, ...args];

/** `serve <scenario>`: the history on a local endpoint, made before the first answer; prints its URL, and the calls it answered once stdin closes. */
async function serve(scenario: Scenario): Promise<void> {
  const endpoint = serveHealthyPipeline(new FakeAwsEndpoint());
  serveReleaseHistory(endpoint, { ...HISTORY, recorded: scenario === 'recorded' ? () => true : undefined }, true);
  let calls = 0;
  endpoint.onRequest = () => {
    calls++;
    endpoint.requests.length = 0;
  };
  console.log(await endpoint.start());
  process.stdin.resume();
  await once(process.stdin, 'end');
  console.log(calls);
  await endpoint.stop();
}

/** `measure <scenario> [url]`: one measurement in this process; prints {@link Measured}, then the peak. */
async function measure(scenario: Scenario, url?: string): Promise<Measured> {
  if (scenario === 'baseline') {
    const start = process.hrtime.bigint();
    await run('window', '--at', '2026-11-23T10:00:00-05:00');
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, calls: 0, releases: 0 };
  }
  if (scenario === 'fold') {
    const fold = new ReleaseMetricsFold({ since: new Date(NOW.getTime() - 365 * 86_400_000), now: NOW, fixWindowMinutes: 24 * 60, prices: priceTable() });
    let ns = 0n;
    for (let i = 0; i < EXECUTIONS; i++) {
      const execution = historyExecution(i, HISTORY.end, HISTORY.spacingMinutes);
      const item = historyRecord(execution);
      const start = process.hrtime.bigint();
      fold.add(executionFacts(inputOf(execution, item), SHAPE, NOW.getTime()));
      ns += process.hrtime.bigint() - start;
    }
    const start = process.hrtime.bigint();
    const releases = fold.result().deploymentFrequency.releases;
    return { ms: Number(ns + process.hrtime.bigint() - start) / 1e6, calls: 0, releases };
  }
  clearTollgateEnv();
  const restore = useEndpoint(url!);
  const start = process.hrtime.bigint();
  const result = await run('metrics', '--since', '365d', '--json');
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  restore();
  if (result.code !== 0) throw new Error(`metrics exited ${result.code}: ${result.err.join(' ')}`);
  const report = (JSON.parse(result.stdout) as { result: { executions: { read: number }; deploymentFrequency: { releases: number } } }).result;
  if (report.executions.read !== EXECUTIONS) throw new Error(`metrics read ${report.executions.read} executions, not ${EXECUTIONS}`);
  return { ms, calls: 0, releases: report.deploymentFrequency.releases };
}

/** Runs `measure` in a process of its own (beside a `serve` process for the command) and reads what it printed. */
async function measureApart(scenario: Scenario): Promise<Measured & { readonly peakMb: number }> {
  const server = scenario === 'fold' || scenario === 'baseline' ? undefined : spawn(process.execPath, tsx('serve', scenario), { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  server?.stdout.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)));
  while (server && lines.length === 0) await once(server.stdout, 'data');
  const out = execFileSync(process.execPath, tsx('measure', scenario, ...(server ? [lines[0]] : [])), { encoding: 'utf8' });
  const [measured, peak] = out.trim().split('\n').slice(-2).map((line) => JSON.parse(line) as Measured & { maxRssKb: number });
  if (server) {
    server.stdin.end();
    await once(server, 'exit');
  }
  return { ...measured, calls: server ? Number(lines[1]) : 0, peakMb: peak.maxRssKb / 1024 };
}

async function main(): Promise<void> {
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`metrics over ${EXECUTIONS.toLocaleString('en')} executions (target ≤ ${TARGET_MS / 1000} s, ≤ ${TARGET_MB} MB peak, each in a process of its own):`);
  for (const scenario of Object.keys(SCENARIOS) as Scenario[]) {
    const m = await measureApart(scenario);
    console.log(
      `  ${SCENARIOS[scenario].padEnd(52)} ${(m.ms / 1000).toFixed(2).padStart(6)} s ${met(m.ms <= TARGET_MS).padEnd(7)} ` +
        `peak ${m.peakMb.toFixed(0).padStart(4)} MB ${met(m.peakMb <= TARGET_MB).padEnd(7)} ${String(m.calls).padStart(6)} AWS calls, ${m.releases} releases`,
    );
  }
}

const [mode, scenario, url] = process.argv.slice(2) as [string | undefined, Scenario, string | undefined];
const done = (work: Promise<unknown>) =>
  work.catch((err) => {
    console.error(err);
    process.exit(1);
  });
if (mode === 'serve') void done(serve(scenario));
else if (mode === 'measure') void done(measure(scenario, url).then((m) => console.log(`${JSON.stringify(m)}\n${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}`)));
else void done(main());
