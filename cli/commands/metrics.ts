import { Command } from 'commander';
import { duration } from '@tollgate/constructs/lib/domain/duration';
import { describeCostItems, formatDollars, priceTable } from '@tollgate/constructs/lib/domain/release-cost';
import { executionFacts } from '@tollgate/constructs/lib/domain/release-facts';
import { DurationSummary, Missing, ReleaseMetrics, ReleaseMetricsFold } from '@tollgate/constructs/lib/domain/release-metrics';
import { GATE_KINDS, RELEASE_OUTCOMES } from '@tollgate/constructs/lib/domain/release-record';
import { loadAppConfig } from '../app-config';
import { connectToPipeline, withAwsErrors } from '../aws';
import { CliContext, CliError } from '../context';
import { parseTime, spanMs } from '../options';
import { readPipelineManifest } from '../pipeline-manifest';
import { RecordTableState, ReleaseHistory } from '../release-history';
import { hanging } from '../text';

interface MetricsOptions {
  readonly since: string;
  readonly fixWindow: string;
}

/** What `metrics --json` prints as its result. */
export interface MetricsReport extends ReleaseMetrics {
  readonly pipeline: { readonly name: string; readonly account: string; readonly region: string };
  readonly recordTable: { readonly name: string } & RecordTableState;
}

/** CodePipeline keeps 12 months of history (API reference, ListPipelineExecutions.maxResults). */
const MAX_PERIOD_DAYS = 366;
const DEFAULT_FIX_WINDOW = '24h';

/** `--since`: a span back from now (`30d`, `12h`, `2w`) or an instant, at most a year back; epoch ms. */
function parseSince(text: string, now: number, timezone: string): number {
  const span = spanMs(text);
  const since = span !== undefined ? now - span : parseTime('--since', text, timezone);
  if (since >= now || now - since > MAX_PERIOD_DAYS * 86_400_000) {
    throw new CliError(`--since must reach back from now by at most ${MAX_PERIOD_DAYS} days (like 30d, 12h, 2w or 2026-10-01), got ${JSON.stringify(text)}`);
  }
  return since;
}

/** `--fix-window`: a span of 1 minute to 30 days, in minutes. */
function parseFixWindow(text: string): number {
  const span = spanMs(text);
  if (span === undefined || span < 60_000 || span > 30 * 86_400_000) {
    throw new CliError(`--fix-window must be a span from 1m to 30d (like 24h or 3d), got ${JSON.stringify(text)}`);
  }
  return span / 60_000;
}

function tableGap(name: string, table: RecordTableState): string[] {
  if (table.state === 'absent') return [`release record table ${name} does not exist (the release recorder is not deployed): every execution read from CodePipeline's history alone`];
  if (table.state === 'unreadable') return [`release record table ${name} unreadable (${table.error}): every execution read from CodePipeline's history alone`];
  return [];
}

async function gatherMetrics(ctx: CliContext, options: MetricsOptions): Promise<MetricsReport> {
  const config = loadAppConfig();
  const now = ctx.now();
  const since = new Date(parseSince(options.since, now.getTime(), config.calendar.timezone));
  const fixWindowMinutes = parseFixWindow(options.fixWindow);
  const connection = await connectToPipeline(config);
  const { scope, aws, identity } = connection;
  return withAwsErrors(scope, async () => {
    const manifest = await readPipelineManifest(aws.ssm, config, ctx.err, identity.arn.split(':')[1] || 'aws');
    const history = new ReleaseHistory(aws, config.pipelineName, since);
    const fold = new ReleaseMetricsFold({ since, now, fixWindowMinutes, prices: priceTable(config.prices) });
    for await (const input of history.executions()) fold.add(executionFacts(input, manifest.document, now.getTime()));
    const metrics = fold.result();
    return {
      pipeline: { name: config.pipelineName, account: scope.account, region: scope.region },
      recordTable: { name: history.tableName, ...history.recordTable },
      ...metrics,
      gaps: [...tableGap(history.tableName, history.recordTable), ...metrics.gaps],
    };
  });
}

const span = (seconds: number, precision: 'min' | 's' = 'min') => duration(seconds * 1000, precision);

/** `median 1 h 5 min, p90 3 h`, or why there is no figure. */
function distribution(value: DurationSummary | Missing, precision: 'min' | 's' = 'min'): string {
  if ('missing' in value) return `no data: ${value.missing}`;
  const max = precision === 's' ? `, max ${span(value.maxSeconds, precision)}` : '';
  return `median ${span(value.medianSeconds, precision)}, p90 ${span(value.p90Seconds, precision)}${max}`;
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function doraLines(m: MetricsReport): [string, string][] {
  const { deploymentFrequency: f, leadTime, changeFailureRate: cfr, timeToRestore: ttr, reworkRate: rework } = m;
  const window = span(m.period.fixWindowMinutes * 60);
  return [
    ['deployment frequency', `${count(f.releases, 'release')}, ${f.perWeek} a week, on ${f.daysWithRelease} of ${Math.ceil(m.period.days)} days`],
    ['lead time', 'missing' in leadTime ? distribution(leadTime) : `${distribution(leadTime)}: commit → prod bake passed (${leadTime.count} of ${count(leadTime.ofReleases, 'release')})`],
    [
      'change failure rate',
      'missing' in cfr
        ? `no data: ${cfr.missing}`
        : `${cfr.percent} % of ${count(cfr.deployments, 'deployment')} to prod: ${cfr.failedInProd} failed in prod, ${cfr.rolledBack} rolled back, ${cfr.fixedForward} fixed forward`,
    ],
    [
      'time to restore',
      'missing' in ttr ? `no data: ${ttr.missing}` : `${distribution(ttr)} over ${count(ttr.count, 'failure')} restored${ttr.stillFailing > 0 ? '; prod is STILL FAILING' : ''}`,
    ],
    ['rework rate', 'missing' in rework ? `no data: ${rework.missing}` : `${rework.percent} % of ${count(rework.releases, 'release')} were fixes within ${window} of the change before`],
  ];
}

function tollgateLines(m: MetricsReport): [string, string][] {
  const stops = GATE_KINDS.map((kind) => `${kind.replace('-', ' ')} ${m.stoppedBy.gates[kind]}`).join(', ');
  const other = Object.entries(m.stoppedBy.other).map(([action, n]) => `${action} ${n}`);
  const outcomes = RELEASE_OUTCOMES.filter((o) => m.executions.outcomes[o] > 0).map((o) => `${m.executions.outcomes[o]} ${o.replace('-', ' ')}`);
  const halt = m.haltLatency;
  return [
    ['pipeline time', 'missing' in m.pipelineTime ? distribution(m.pipelineTime) : `${distribution(m.pipelineTime)}: push → prod bake passed`],
    ['halt latency', 'missing' in halt ? distribution(halt) : `${distribution(halt, 's')}: alarm → the gate's rejection (${count(halt.count, 'rejection')})`],
    ['builds stopped', `${stops}${other.length > 0 ? `; failed elsewhere: ${other.join(', ')}` : ''}`],
    ['outcomes', `${outcomes.join(', ') || 'no execution'}; ${count(m.executions.rollbackExecutions, 'rollback execution')}`],
  ];
}

function costLines(m: MetricsReport): [string, string][] {
  const { perRelease, spend } = m.cost;
  const items = 'missing' in perRelease ? '' : `: ${describeCostItems(perRelease.meanItems)} on average`;
  return [
    ['per release', 'missing' in perRelease ? `no data: ${perRelease.missing}` : `median ${formatDollars(perRelease.medianDollars)}, p90 ${formatDollars(perRelease.p90Dollars)}${items}`],
    [
      'all executions',
      `${formatDollars(spend.dollars)} for ${count(spend.executions, 'execution')}${spend.perReleaseDollars !== undefined ? `: ${formatDollars(spend.perReleaseDollars)} a release` : ''}`,
    ],
    ['not counted', m.cost.notCounted.join('; ')],
  ];
}

function section(title: string, rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return [title, ...rows.flatMap(([label, text]) => hanging(`  ${label.padEnd(width)}  `, text)), ''];
}

function printMetrics(ctx: CliContext, m: MetricsReport): void {
  const latest = m.latestRelease ? `; latest release ${m.latestRelease.version ?? m.latestRelease.executionId.slice(0, 8)} at ${m.latestRelease.releasedAt}` : '';
  const lines = [
    ...hanging('', `Release metrics of pipeline ${m.pipeline.name} (account ${m.pipeline.account}, ${m.pipeline.region})`),
    ...hanging('', `${span(m.period.days * 86_400)} from ${m.period.since} to ${m.period.until}: ${count(m.executions.read, 'execution')}, ${m.executions.recorded} with a release record${latest}`),
    '',
    ...section('DORA', doraLines(m)),
    ...section('Tollgate', tollgateLines(m)),
    ...section(`Cost (${m.cost.prices})`, costLines(m)),
    ...(m.gaps.length > 0 ? ['Lacking data', ...m.gaps.flatMap((gap) => hanging('  - ', gap))] : []),
  ];
  for (const line of lines) ctx.out(line);
}

export function registerMetricsCommand(program: Command, ctx: CliContext): void {
  program
    .command('metrics')
    .description(
      "Release metrics from the release record and CodePipeline's history: deployment frequency, lead time, change failure rate, time to restore, rework rate, the gate's halt latency, builds stopped by each gate, and what a release costs",
    )
    .option('--since <span>', 'how far back: 30d, 12h, 2w, or an ISO-8601 time (at most a year)', '30d')
    .option('--fix-window <span>', 'a fix released within this long of the change before it is a fix-forward and rework', DEFAULT_FIX_WINDOW)
    .action(async (options: MetricsOptions) => {
      const report = await gatherMetrics(ctx, options);
      ctx.report(report, (r) => printMetrics(ctx, r));
    });
}
