/**
 * The worst-case prod exposure of a bad build, computed from the synthesized app, beside each other for the API
 * (its CodeDeploy canary) and the tile server (its ECS canary): the share of traffic the new version serves and the
 * minutes before the rollback starts (target for the defaults: ≤ 10 % for ≤ 3 minutes). Then the same alarms
 * under every predefined CodeDeploy configuration and under a few ECS settings, for choosing `canary.prod` and
 * `canary.tileServer.prod`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ecsShiftMinutes, type EcsTrafficShift, PREDEFINED_LAMBDA_SHIFTS } from '../cdk/canary-settings';
import {
  AlarmDetection,
  describeExposure,
  EVALUATION_DELAY_MINUTES,
  Exposure,
  ExposureError,
  minutesToAlarm,
  watchedServiceShifts,
  watchedShifts,
  worstCaseEcsExposure,
  worstCaseExposure,
} from '../cdk/exposure';
import { createTollgateApp } from '../cdk/tollgate';
import { describeEcsShift } from '../cli/plan/promotion';

/** ECS settings to compare with prod's tile server alarms: shorter and longer canaries, all at once, no bake. */
const ECS_CANDIDATES: readonly EcsTrafficShift[] = [
  { type: 'canary', percent: 5, canaryBakeMinutes: 10, bakeMinutes: 5 },
  { type: 'canary', percent: 10, canaryBakeMinutes: 5, bakeMinutes: 5 },
  { type: 'canary', percent: 10, canaryBakeMinutes: 2, bakeMinutes: 5 },
  { type: 'canary', percent: 25, canaryBakeMinutes: 5, bakeMinutes: 0 },
  { type: 'allAtOnce', bakeMinutes: 5 },
  { type: 'allAtOnce', bakeMinutes: 0 },
];

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-canary-bench-'));
const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
const { app, pipelineStack } = createTollgateApp({ appProps: { outdir, context: cdkJson.context }, env: process.env, userName: () => 'bench' });
app.synth();

/** One line: the figure, or why there is none. */
function figure(exposureOf: () => Exposure): string {
  try {
    return describeExposure(exposureOf());
  } catch (err) {
    if (!(err instanceof ExposureError)) throw err;
    return `no figure: ${err.message}`;
  }
}

/** How the slowest alarm is slow, for the report. */
function detection(alarms: readonly AlarmDetection[]): string {
  const slowest = Math.max(...alarms.map(minutesToAlarm));
  return `${alarms.length} alarms (slowest ${slowest} min to fire + ${EVALUATION_DELAY_MINUTES} min evaluation delay)`;
}

/** The prod target: a bad build reaches at most 10 % of traffic for at most 3 minutes. */
function targetLine(exposureOf: () => Exposure): string {
  try {
    const exposure = exposureOf();
    return `  target ≤ 10 % for ≤ 3 minutes: ${exposure.sharePercent <= 10 && exposure.minutes <= 3 ? 'met' : 'NOT met'}`;
  } catch {
    return '  target ≤ 10 % for ≤ 3 minutes: NOT met (no figure)';
  }
}

for (const stage of [pipelineStack.prodStage, pipelineStack.devStage]) {
  const stack = stage.service;
  const template = stage.synth().getStackByName(stack.stackName).template;
  const prod = stage === pipelineStack.prodStage;
  for (const watched of watchedShifts(template)) {
    const exposureOf = () => worstCaseExposure(watched.shift, watched.alarms);
    console.log(`${stack.stackName} API (CodeDeploy): ${watched.shift.predefinedName ?? JSON.stringify(watched.shift)}, ${detection(watched.alarms)}`);
    console.log(`  worst-case exposure of a bad build: ${figure(exposureOf)}`);
    if (!prod) continue;
    console.log(targetLine(exposureOf));
    console.log('  the same alarms under each predefined configuration:');
    for (const [name, candidate] of Object.entries(PREDEFINED_LAMBDA_SHIFTS)) {
      console.log(`    ${name.padEnd(34)} ${figure(() => worstCaseExposure(candidate, watched.alarms))}`);
    }
  }
  for (const watched of watchedServiceShifts(template)) {
    const exposureOf = () => worstCaseEcsExposure(watched.shift, watched.alarms);
    console.log(`${stack.stackName} tile server (ECS): ${describeEcsShift(watched.shift)}, ${ecsShiftMinutes(watched.shift)} min in all, ${detection(watched.alarms)}`);
    console.log(`  worst-case exposure of a bad build: ${figure(exposureOf)}`);
    if (!prod) continue;
    console.log(targetLine(exposureOf));
    console.log('  the same alarms under other ECS settings:');
    for (const candidate of ECS_CANDIDATES) {
      console.log(`    ${describeEcsShift(candidate).padEnd(52)} ${figure(() => worstCaseEcsExposure(candidate, watched.alarms))}`);
    }
  }
}
fs.rmSync(outdir, { recursive: true, force: true });
