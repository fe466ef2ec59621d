#!/usr/bin/env node
/**
 * `npm test`: the type check (`tsc --noEmit`) and jest side by side, not one after the other. The type check is
 * one process on one core; jest's two workers leave a core idle whenever one group of suites runs alone, so running
 * both at once finishes sooner on two cores. jest's output streams as it runs; the type check's is printed when it
 * ends. The exit code is non-zero when either fails. Arguments go to jest (`npm test -- test/config.test.ts`).
 */
const { spawn } = require('node:child_process');

const typecheck = spawn(process.execPath, [require.resolve('typescript/bin/tsc'), '--noEmit'], { stdio: ['ignore', 'pipe', 'pipe'] });
const jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...process.argv.slice(2)], { stdio: 'inherit' });

let typecheckOutput = '';
typecheck.stdout.on('data', (chunk) => (typecheckOutput += chunk));
typecheck.stderr.on('data', (chunk) => (typecheckOutput += chunk));
const exited = (child) => new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));

Promise.all([exited(typecheck), exited(jest)]).then(([typecheckCode, jestCode]) => {
  if (typecheckCode !== 0) process.stderr.write(`\ntsc --noEmit found type errors:\n${typecheckOutput}`);
  process.exit(typecheckCode !== 0 ? typecheckCode : jestCode);
});
