/**
 * The command line, measured: AWS calls and wall time per on-call command over a local endpoint (real SDK
 * clients, signing and parsing; no network latency, so the times are the CLI's own), `plan` on a freshly
 * synthesized app, and the sandbox cleaner's decision over many stacks.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTollgateApp } from '../cdk/tollgate';
import { decideDeletions, StackDescription } from '../lambdas/sandbox-cleaner/select';
import type { Timeline } from '../cli/plan/timeline';
import { NOW, clearTollgateEnv, run, serveHealthyPipeline, useEndpoint } from '../test/cli-fixture';
import { FakeAwsEndpoint } from '../test/fake-aws-endpoint';

const RUNS = Number(process.env.BENCH_CLI_RUNS ?? 20);
const root = path.join(__dirname, '..');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
  clearTollgateEnv();
  const endpoint = serveHealthyPipeline(new FakeAwsEndpoint());
  const restore = useEndpoint(await endpoint.start());
  try {
    console.log(`on-call commands over a local endpoint (${RUNS} runs each, median wall time):`);
    for (const args of [['status'], ['stop', '--reason', 'bench'], ['stop', '--reason', 'bench', '--abort'], ['resume', '--reason', 'bench'], ['rollback', '--reason', 'bench', '--yes']]) {
      const times: number[] = [];
      let calls = 0;
      for (let i = 0; i < RUNS; i++) {
        endpoint.requests.length = 0;
        const start = process.hrtime.bigint();
        const result = await run(...args);
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (result.code !== 0) throw new Error(`${args.join(' ')} exited ${result.code}: ${result.err.join(' ')}`);
        calls = endpoint.requests.length;
      }
      console.log(`  ${args.filter((a) => a !== 'bench').join(' ').padEnd(26)} ${String(calls).padStart(2)} AWS calls  ${median(times).toFixed(1).padStart(6)} ms`);
    }
  } finally {
    restore();
    await endpoint.stop();
  }

  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-plan-bench-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  createTollgateApp({ appProps: { outdir, context: { ...cdkJson.context, sandbox: 'bench' } }, env: {} }).app.synth();
  const planTimes: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = await run('plan', '--dir', outdir, '--json');
    planTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.code !== 0) throw new Error(`plan exited ${result.code}: ${result.err.join(' ')}`);
  }
  console.log(`plan on the synthesized app (offline, in process): median ${median(planTimes).toFixed(1)} ms over ${RUNS} runs`);
  // What the pipeline's Sandbox stage adds to a release, by plan's own timeline (its estimates), for a push on a
  // Monday morning, when the calendar holds nothing back: every Sandbox minute is a minute later in prod.
  const monday = await run('plan', '--dir', outdir, '--json', '--pushed-at', '2026-11-23T14:00:00Z');
  const { timeline } = (JSON.parse(monday.stdout) as { result: { timeline: Timeline } }).result;
  const sandboxSteps = timeline.steps.filter((st) => st.stage === 'Sandbox');
  const sandboxMinutes = sandboxSteps.reduce((sum, st) => sum + st.minutes, 0);
  const toProd = timeline.releasedAt ? (Date.parse(timeline.releasedAt) - Date.parse(timeline.pushedAt)) / 60_000 : NaN;
  console.log(
    `pipeline Sandbox stage: +${sandboxMinutes} min per release (${sandboxSteps.map((st) => `${st.kind} ${st.what} ~${st.minutes} min`).join(' + ')}); ` +
      `push to released ${toProd} min on a Monday morning, ${toProd - sandboxMinutes} min without it`,
  );
  const coldTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const cold = spawnSync(process.execPath, [path.join(root, 'bin', 'tollgate.js'), 'plan', '--dir', outdir], { cwd: root, encoding: 'utf8' });
    coldTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (cold.status !== 0) throw new Error(`tollgate plan exited ${cold.status}: ${cold.stderr}`);
  }
  console.log(`tollgate plan from a cold start (node bin/tollgate.js, TypeScript through tsx): median ${median(coldTimes).toFixed(0)} ms over 3 runs`);
  fs.rmSync(outdir, { recursive: true, force: true });

  const stacks: StackDescription[] = Array.from({ length: 10_000 }, (_, i) => ({
    stackName: `sb${i}-Service`,
    status: 'UPDATE_COMPLETE',
    tags: [
      { Key: 'tollgate:sandbox', Value: `sb${i}` },
      { Key: 'tollgate:owner', Value: `user${i}` },
      { Key: 'tollgate:expires', Value: i % 2 === 0 ? '2026-11-01T00:00:00Z' : '2026-12-01T00:00:00Z' },
    ],
  }));
  const decideTimes: number[] = [];
  let deletions = 0;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    deletions = decideDeletions({ stacks, now: NOW, account: '222222222222', prodAccount: '333333333333' }).verdicts.filter((v) => v.action === 'delete').length;
    decideTimes.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(`sandbox cleaner decision over 10,000 stacks: median ${median(decideTimes).toFixed(1)} ms (${deletions} selected)`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
