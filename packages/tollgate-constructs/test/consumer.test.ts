/**
 * The package as another team gets it: `npm pack`ed, unpacked into a scratch app's node_modules, and the app of
 * the README's first example, with its own stages, synthesized there in a child process (plain `node app.js`,
 * no tsx, no esbuild, no path into this repository). Needs the package built (`pretest` builds it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';

const packageDir = path.join(__dirname, '..');
const repoRoot = path.join(packageDir, '..', '..');
const packageJson = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));

/** The first TypeScript example of the README, as CommonJS JavaScript. */
function readmeApp(): string {
  const readme = fs.readFileSync(path.join(packageDir, 'README.md'), 'utf8');
  const example = /```ts\n([\s\S]*?)```/.exec(readme);
  if (!example) throw new Error('README.md has no ```ts example');
  return ts.transpileModule(example[1], { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
}

function installScratchApp(): string {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-consumer-'));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: packageDir, encoding: 'utf8' }).trim().split('\n').pop()!;
  const installed = path.join(scratch, 'node_modules', ...packageJson.name.split('/'));
  fs.mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', path.join(scratch, packed), '-C', installed, '--strip-components=1']);
  // The peer dependencies and the package's own dependencies, linked from this repository's node_modules rather
  // than installed from the registry: the test stays offline and takes seconds. The package's files are the
  // tarball's, not a link into the repository.
  for (const dep of [...Object.keys(packageJson.peerDependencies), ...Object.keys(packageJson.dependencies)]) {
    const link = path.join(scratch, 'node_modules', ...dep.split('/'));
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(path.join(repoRoot, 'node_modules', dep), link, 'dir');
  }
  // The app's exact tool versions, which the pipeline installs for self-mutation and asset publishing.
  fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'shop', private: true, devDependencies: { 'aws-cdk': '2.1148.1', 'cdk-assets': '4.7.3' } }));
  fs.writeFileSync(path.join(scratch, 'app.js'), readmeApp());
  return scratch;
}

const scratch = installScratchApp();
const outdir = path.join(scratch, 'cdk.out');
const result = spawnSync(process.execPath, ['app.js'], {
  cwd: scratch,
  encoding: 'utf8',
  // As `cdk synth` runs an app: the output directory, and the CLI's context for path and asset metadata.
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true }),
  },
});

test('the README app synthesizes from the packed package alone', () => {
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8'));
  expect(Object.keys(manifest.artifacts).filter((a) => manifest.artifacts[a].type === 'aws:cloudformation:stack').sort()).toEqual(['Shop-Pipeline']);
  expect(fs.readdirSync(outdir).filter((f) => f.startsWith('assembly-')).sort()).toEqual(['assembly-Production', 'assembly-Staging']);
});

test("the gate function's code is the package's pre-bundled handler, and nothing points into this repository", () => {
  const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Shop-Pipeline.template.json'), 'utf8'));
  const [gate] = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:cdk:path'] === 'Shop-Pipeline/BakeGate/Function/Resource');
  expect(gate.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  const shipped = fs.readFileSync(path.join(scratch, 'node_modules', ...packageJson.name.split('/'), 'lib', 'assets', 'bake-gate', 'index.js'));
  expect(fs.readFileSync(path.join(outdir, gate.Metadata['aws:asset:path'], 'index.js')).equals(shipped)).toBe(true);
  for (const file of fs.readdirSync(outdir).filter((f) => f.endsWith('.json'))) {
    expect([file, fs.readFileSync(path.join(outdir, file), 'utf8').includes(repoRoot)]).toEqual([file, false]);
  }
});
