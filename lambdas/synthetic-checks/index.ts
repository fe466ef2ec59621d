/**
 * The canary's entry point, `index.handler` in `nodejs/node_modules/index.js` of the bundle (the layout the
 * Synthetics Node.js runtimes load, "Writing a Node.js canary script using the Puppeteer runtime"). A run passes
 * when this resolves and fails when it rejects.
 */
import { runCanary, syntheticsStepRunner } from './adapter';
import type { StepResult } from './checks';

export const handler = async (): Promise<StepResult[]> =>
  runCanary({
    env: process.env,
    fetch,
    now: Date.now,
    // The runtime's own library; esbuild leaves it external. Absent outside the runtime.
    runStep: syntheticsStepRunner(() => require('Synthetics')),
    log: (message, details) => console.log(JSON.stringify({ message, ...details })),
  });
