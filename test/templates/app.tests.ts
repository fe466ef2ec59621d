import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../cdk/config';
import { listAssemblyStacks } from '../../cdk/print-assembly';
import { createTollgateApp } from '../../cdk/tollgate';
import { sharedTollgate } from '../fixture';

const root = path.join(__dirname, '..', '..');

/** Runs the app's entry point as `cdk synth` does: a child process with CDK_OUTDIR and CDK_CONTEXT_JSON. */
function runApp(context: Record<string, unknown>, env: Record<string, string> = {}) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-app-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'cdk/app.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...cdkJson.context, ...context }),
      ...env,
    },
  });
  return { ...result, outdir };
}

// In process, from the shared app: cdk/app.ts only calls createTollgateApp() and synth(), the bad value below
// runs through it, and CI runs it whole (`npm run synth`); a child process would synthesize every stack again.
test('the app synthesizes the pipeline, dev, prod, the named sandbox and the sandbox cleaner with no credentials', () => {
  const stacks = listAssemblyStacks(sharedTollgate().app.synth().directory);
  expect(stacks.map((s) => `${s.stackName} ${s.environment}`).sort()).toEqual([
    'Dev-Service aws://222222222222/us-east-1',
    'Pipeline-Service aws://444444444444/us-east-1',
    'Prod-Service aws://333333333333/us-east-1',
    'Tollgate-Pipeline aws://111111111111/us-east-1',
    'Tollgate-SandboxCleaner aws://444444444444/us-east-1',
    'alice-Service aws://444444444444/us-east-1',
  ]);
});

// One bad value through the real entry point: what `cdk synth` shows and its exit code. A variable, so that the
// app reads its configuration from the process environment by default.
test('a bad value stops synth with one line and exit 1, writing no stacks', () => {
  const result = runApp({ sandbox: 'alice' }, { TOLLGATE_PROD_REGION: 'nowhere' });
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual(['tollgate: invalid configuration: prod.region must be an AWS region name like us-east-1, got "nowhere" (from TOLLGATE_PROD_REGION)']);
  expect(fs.existsSync(path.join(result.outdir, 'manifest.json'))).toBe(false);
});

// The other bad values in process (a child process each cost a second); cdk/app.ts turns a ConfigError into
// `tollgate: <message>` and exit 1, as the case above shows.
test.each([
  [{ sandbox: 'prod' }, 'tollgate: invalid configuration: sandbox must not be "dev" or "prod", got "prod"'],
  [{ tollgate: { dev: { account: '42' } } }, 'tollgate: invalid configuration: dev.account must be a 12-digit AWS account ID, got "42" (from cdk.json)'],
])('a bad context value (%j) is a ConfigError with that one line, before any stack is written', (context, line) => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-app-'));
  const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  let error: unknown;
  try {
    createTollgateApp({ env: {}, appProps: { outdir, context: { ...cdkJson.context, sandbox: 'alice', ...context } } }).app.synth();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect(`tollgate: ${(error as ConfigError).message}`.split('\n')).toEqual([line]);
  expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
});

test('listAssemblyStacks explains a missing assembly', () => {
  expect(() => listAssemblyStacks(path.join(os.tmpdir(), 'no-such-assembly'))).toThrow('run npm run synth first');
});
