import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EXAMPLE_CONFIG } from '../../cdk/config';
import { PipelineStack } from '../../cdk/pipeline-stack';
import { pinnedDevDependency } from '@tollgate/constructs';

const root = path.join(__dirname, '..', '..');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'tollgate-pinning-'));
const cdkJson = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
// The pipeline stack alone, without bundling the Lambdas: what matters here is the pipeline's CodeBuild projects.
const app = new cdk.App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
const stack = new PipelineStack(app, 'Tollgate-Pipeline', { env: EXAMPLE_CONFIG.deployment, config: EXAMPLE_CONFIG });
const template = Template.fromStack(stack);
app.synth();

interface BuildSpec {
  phases?: Record<string, { 'runtime-versions'?: Record<string, string>; commands?: string[] }>;
}

/** Every CodeBuild project of the pipeline with its build spec, inline or (asset publishing) a file in the assembly. */
const projects = Object.entries(template.findResources('AWS::CodeBuild::Project')).map(([id, resource]) => {
  const spec = resource.Properties.Source.BuildSpec as string;
  const text = spec.trimStart().startsWith('{') ? spec : fs.readFileSync(path.join(outdir, spec), 'utf8');
  return { id, environment: resource.Properties.Environment, buildSpec: JSON.parse(text) as BuildSpec };
});
const commandsOf = (spec: BuildSpec) => Object.values(spec.phases ?? {}).flatMap((phase) => phase.commands ?? []);

test('the pipeline has the projects CDK Pipelines creates: build, self-mutation, asset publishing, the replacement guards and the sandbox tests', () => {
  expect(projects.map((p) => p.id).sort()).toEqual([
    expect.stringMatching(/^ReleaseAssetsDockerAsset/),
    expect.stringMatching(/^ReleaseAssetsFileAsset/),
    expect.stringMatching(/^ReleasePipelineBuildCdkBuildProject/),
    expect.stringMatching(/^ReleasePipelineDevReplacementGuardDevService/),
    expect.stringMatching(/^ReleasePipelineProdReplacementGuardProdService/),
    expect.stringMatching(/^ReleasePipelineSandboxIntegrationTests/),
    expect.stringMatching(/^ReleasePipelineSandboxPipelineServiceReplacementGuardPipelineService/),
    expect.stringMatching(/^ReleaseUpdatePipelineSelfMutation/),
  ]);
});

describe.each(projects.map((p) => [p.id, p]))('CodeBuild project %s', (_id, project) => {
  test('runs on the pinned image, standard:7.0', () => {
    expect(project.environment.Image).toBe('aws/codebuild/standard:7.0');
  });

  test('selects Node.js 22 explicitly, the lowest supported Node', () => {
    expect(project.buildSpec.phases?.install?.['runtime-versions']).toEqual({ nodejs: '22' });
  });

  test('installs nothing unpinned: every global npm install names an exact version, never latest', () => {
    const commands = commandsOf(project.buildSpec);
    expect(commands.join('\n')).not.toMatch(/@latest\b/);
    for (const install of commands.filter((c) => /\bnpm (install|i)\b/.test(c))) {
      expect(install).toMatch(/^npm install -g (@?[a-z0-9-]+(\/[a-z0-9-]+)?)@\d+\.\d+\.\d+$/);
    }
  });
});

test('self-mutation and asset publishing install the versions package.json pins for developers', () => {
  const installs = projects.flatMap((p) => commandsOf(p.buildSpec)).filter((c) => c.startsWith('npm install -g'));
  expect(new Set(installs)).toEqual(
    new Set([`npm install -g aws-cdk@${pinnedDevDependency('aws-cdk')}`, `npm install -g cdk-assets@${pinnedDevDependency('cdk-assets')}`]),
  );
});

test('a tool version that is not exact is refused at synth', () => {
  const manifest = path.join(outdir, 'package.json');
  fs.writeFileSync(manifest, JSON.stringify({ devDependencies: { 'cdk-assets': '^4.7.3' } }));
  expect(() => pinnedDevDependency('cdk-assets', manifest)).toThrow('devDependencies.cdk-assets must be an exact version like 1.2.3, got "^4.7.3"');
  expect(() => pinnedDevDependency('aws-cdk', manifest)).toThrow('got undefined');
});

// KNOWN GAP (docs/trust-model.md): the newest cdk-assets on npm (4.7.3) reads cloud assembly schema 54, but
// aws-cdk-lib 2.276 writes asset manifests of schema 55, so asset publishing fails with "Cloud assembly schema
// version mismatch" until a cdk-assets that reads 55 is published and pinned. `test.failing` passes while the gap
// exists; once a compatible version is pinned it fails, and `.failing` must go.
test.failing('the pinned cdk-assets reads the asset manifests this aws-cdk-lib writes', () => {
  const manifest = fs.readdirSync(path.join(outdir, 'assembly-Tollgate-Pipeline-Prod')).find((f) => f.endsWith('.assets.json'))!;
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'cdk-assets', 'bin', 'cdk-assets'), '--path', path.join(outdir, 'assembly-Tollgate-Pipeline-Prod', manifest), 'ls'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  expect(result.stderr).not.toContain('schema version mismatch');
  expect(result.status).toBe(0);
});
