/**
 * The worst-case prod exposure of a bad build, computed from the synthesized app: the share of traffic the new
 * version serves and the minutes before CodeDeploy starts rolling back (target for the defaults: ≤ 10 % for
 * ≤ 3 minutes). Then the same alarms under every predefined configuration, for choosing `canary.prod`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PREDEFINED_LAMBDA_SHIFTS } from '../cdk/canary-settings';
import { describeExposure, EVALUATION_DELAY_MINUTES, minutesToAlarm, watchedShifts, worstCaseExposure } from '../cdk/exposure';
import { createTollgateApp } from '../cdk/tollgate';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-canary-bench-'));
const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
const { app, pipelineStack } = createTollgateApp({ appProps: { outdir, context: cdkJson.context }, env: process.env, userName: () => 'bench' });
app.synth();

for (const stage of [pipelineStack.prodStage, pipelineStack.devStage]) {
  const stack = stage.service;
  const template = stage.synth().getStackByName(stack.stackName).template;
  for (const watched of watchedShifts(template)) {
    const exposure = worstCaseExposure(watched.shift, watched.alarms);
    const shift = watched.shift.predefinedName ?? JSON.stringify(watched.shift);
    console.log(`${stack.stackName}: ${shift}, ${watched.alarms.length} alarms (slowest ${minutesToAlarm(watched.alarms.find((a) => a.name === exposure.slowestAlarm)!)} min to fire + ${EVALUATION_DELAY_MINUTES} min evaluation delay)`);
    console.log(`  worst-case exposure of a bad build: ${describeExposure(exposure)}`);
    if (stage === pipelineStack.prodStage) {
      const met = exposure.sharePercent <= 10 && exposure.minutes <= 3;
      console.log(`  target ≤ 10 % for ≤ 3 minutes: ${met ? 'met' : 'NOT met'}`);
      console.log('  the same alarms under each predefined configuration:');
      for (const [name, candidate] of Object.entries(PREDEFINED_LAMBDA_SHIFTS)) {
        console.log(`    ${name.padEnd(34)} ${describeExposure(worstCaseExposure(candidate, watched.alarms))}`);
      }
    }
  }
}
fs.rmSync(outdir, { recursive: true, force: true });
