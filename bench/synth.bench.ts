/**
 * Cold synth of the whole app through the pinned CDK CLI (a fresh output directory each run) and one run of
 * the full test suite, on this machine. Targets on 2 cores: synth ≤ 15 s, tests ≤ 60 s.
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

const cdk = path.join(root, 'node_modules', '.bin', 'cdk');
const synthTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-bench-'));
  synthTimes.push(timed('cdk synth', cdk, ['synth', '--no-notices', '--lookups=false', '--quiet', '-o', outdir]));
  fs.rmSync(outdir, { recursive: true, force: true });
}
synthTimes.sort((a, b) => a - b);
const median = synthTimes[Math.floor(synthTimes.length / 2)];
console.log(`cold synth (cdk synth, whole app, ${runs} runs): median ${median.toFixed(2)} s, min ${synthTimes[0].toFixed(2)} s, max ${synthTimes[synthTimes.length - 1].toFixed(2)} s (target ≤ 15 s)`);

if (process.env.BENCH_SKIP_TESTS !== '1') {
  const testSeconds = timed('npm test', 'npm', ['test', '--silent']);
  console.log(`full test suite (npm test: tsc --noEmit + jest): ${testSeconds.toFixed(2)} s (target ≤ 60 s)`);
}
