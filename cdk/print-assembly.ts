/**
 * Prints every stack a synthesized cloud assembly holds, nested stages included, with its account and
 * region: what `npm run synth` produced, at a glance.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface ManifestArtifact {
  readonly type: string;
  readonly environment?: string;
  readonly displayName?: string;
  readonly properties?: { readonly directoryName?: string; readonly stackName?: string };
}

export interface AssemblyStack {
  /** The stack's CloudFormation name. */
  readonly stackName: string;
  /** Its path in the assembly, e.g. `Tollgate-Pipeline/Dev/Service`. */
  readonly displayName: string;
  /** `aws://account/region`. */
  readonly environment: string;
}

/** Walks the assembly in `dir` and its nested assemblies, depth first, in manifest order. */
export function listAssemblyStacks(dir: string): AssemblyStack[] {
  const manifestPath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) throw new Error(`no cloud assembly in ${dir}: run npm run synth first`);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { artifacts?: Record<string, ManifestArtifact> };
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === 'aws:cloudformation:stack') {
      stacks.push({
        stackName: artifact.properties?.stackName ?? id,
        displayName: artifact.displayName ?? id,
        environment: artifact.environment ?? 'aws://unknown-account/unknown-region',
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
      stacks.push(...listAssemblyStacks(path.join(dir, artifact.properties.directoryName)));
    }
  }
  return stacks;
}

if (require.main === module) {
  const dir = process.argv[2] ?? 'cdk.out';
  const stacks = listAssemblyStacks(dir);
  console.log(`${stacks.length} stacks in ${dir}:`);
  for (const s of stacks) console.log(`  ${s.stackName.padEnd(24)} ${s.environment.padEnd(34)} (${s.displayName})`);
}
