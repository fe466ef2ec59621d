/**
 * Cold synth of the whole app through the pinned CDK CLI (a fresh output directory each run) with prod as 1, 6
 * and 20 targets, and one run of the full test suite, on this machine. Targets on 2 cores: synth ≤ 15 s (up to 6
 * targets; 20 is reported for the curve), tests ≤ 60 s.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const runs = Number(process.env.BENCH_SYNTH_RUNS ?? 3);

function timed(label: string, command: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${label} failed (exit ${result.status}):\n${result.stderr.slice(-2000)}`);
  }
  return seconds;
}

/** Regions for the example fleets: commercial regions enabled by default in every account. */
const EXAMPLE_REGIONS = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-west-2', 'eu-central-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1'];

/**
 * `prod.waves` for an example fleet of `targets` targets in waves of growing size (1, 2, 3, … the last takes the
 * rest), spread over ten regions and, beyond ten targets, a second account: what this bench synthesizes.
 */
function exampleProdWaves(targets: number, secondAccount = '555555555555'): { region: string; account?: string; name: string }[][] {
  const fleet = Array.from({ length: targets }, (_, i) => {
    const region = EXAMPLE_REGIONS[i % EXAMPLE_REGIONS.length];
    return i < EXAMPLE_REGIONS.length ? { region, name: region } : { region, account: secondAccount, name: `${region}-b` };
  });
  const waves: (typeof fleet)[] = [];
  for (let size = 1, at = 0; at < fleet.length; size++) {
    waves.push(fleet.slice(at, at + size));
    at += size;
  }
  return waves;
}

const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

/** Cold `cdk synth` of the whole app, `runs` times, with extra context arguments: the sorted times. */
function synthSeconds(label: string, context: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-bench-'));
    times.push(timed(label, cdk, ['synth', '--no-notices', '--lookups=false', '--quiet', '-o', outdir, ...context]));
    fs.rmSync(outdir, { recursive: true, force: true });
  }
  return times.sort((a, b) => a - b);
}

const SYNTH_TARGET_SECONDS = 15;
// Prod as one target (the default), as 6 targets in 3 waves (the target: ≤ 15 s) and as 20 targets in 6 waves.
for (const targets of [1, 6, 20]) {
  const context = targets === 1 ? [] : ['-c', `tollgate=${JSON.stringify({ prod: { waves: exampleProdWaves(targets) } })}`];
  const times = synthSeconds(`cdk synth with ${targets} prod targets`, context);
  const median = times[Math.floor(times.length / 2)];
  const miss = targets <= 6 && median > SYNTH_TARGET_SECONDS ? `  MISSED (target ≤ ${SYNTH_TARGET_SECONDS} s)` : '';
  console.log(
    `cold synth (cdk synth, whole app, ${targets} prod target${targets > 1 ? `s in ${exampleProdWaves(targets).length} waves` : ''}, ${runs} runs): median ${median.toFixed(2)} s, min ${times[0].toFixed(2)} s, max ${times[times.length - 1].toFixed(2)} s${targets <= 6 ? ` (target ≤ ${SYNTH_TARGET_SECONDS} s)` : ''}${miss}`,
  );
}

if (process.env.BENCH_SKIP_TESTS !== '1') {
  const testSeconds = timed('npm test', 'npm', ['test', '--silent']);
  console.log(`full test suite (npm test: tsc --noEmit beside jest): ${testSeconds.toFixed(2)} s (target ≤ 60 s)`);
}
