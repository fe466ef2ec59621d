import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArtifactType, AssetManifestProperties, AwsCloudFormationStackProperties, Manifest, NestedCloudAssemblyProperties } from 'aws-cdk-lib/cloud-assembly-schema';
import type { CfnTemplate } from '../../cdk/exposure';
import { CliError } from '../context';

/** One stack of the synthesized app. */
export interface SynthesizedStack {
  readonly stackName: string;
  /** Its path in the app, e.g. `Tollgate-Pipeline/Dev/Service`. */
  readonly displayName: string;
  readonly account?: string;
  readonly region?: string;
  readonly tags: Record<string, string>;
  readonly template: CfnTemplate;
  /**
   * Bytes of the file assets publishing uploads for it (its template included), as they lie in cdk.out, unzipped;
   * undefined when one is not staged in the assembly (synthesized without bundling, it is the source itself).
   */
  readonly fileAssetBytes?: number;
}

const ENVIRONMENT = /^aws:\/\/([^/]+)\/([^/]+)$/;

/** Bytes of a file, or of every file under a directory. */
function bytesAt(at: string): number {
  const stat = fs.statSync(at);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(at).reduce((sum, name) => sum + bytesAt(path.join(at, name)), 0);
}

/** The bytes of the file assets of the asset manifests at `files` (their paths are relative to each), staged in `root`. */
function fileAssetBytes(files: readonly string[], root: string): number | undefined {
  let sum = 0;
  for (const file of files) {
    for (const asset of Object.values(Manifest.loadAssetManifest(file).files ?? {})) {
      const at = path.resolve(path.dirname(file), asset.source.path ?? '');
      if (path.relative(root, at).startsWith('..') || !fs.existsSync(at)) return undefined;
      sum += bytesAt(at);
    }
  }
  return sum;
}

function readDirectory(dir: string, root = dir): SynthesizedStack[] {
  const manifest = Manifest.loadAssemblyManifest(path.join(dir, 'manifest.json'));
  const stacks: SynthesizedStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    if (artifact.type === ArtifactType.AWS_CLOUDFORMATION_STACK) {
      const props = artifact.properties as AwsCloudFormationStackProperties;
      const env = ENVIRONMENT.exec(artifact.environment ?? '');
      stacks.push({
        stackName: props.stackName ?? id,
        displayName: artifact.displayName ?? id,
        account: env?.[1],
        region: env?.[2],
        tags: props.tags ?? {},
        template: JSON.parse(fs.readFileSync(path.join(dir, props.templateFile), 'utf8')) as CfnTemplate,
        fileAssetBytes: fileAssetBytes(
          (artifact.dependencies ?? [])
            .map((name) => manifest.artifacts?.[name])
            .filter((dependency) => dependency?.type === ArtifactType.ASSET_MANIFEST)
            .map((dependency) => path.join(dir, (dependency!.properties as AssetManifestProperties).file)),
          root,
        ),
      });
    } else if (artifact.type === ArtifactType.NESTED_CLOUD_ASSEMBLY) {
      stacks.push(...readDirectory(path.join(dir, (artifact.properties as NestedCloudAssemblyProperties).directoryName), root));
    }
  }
  return stacks;
}

/**
 * Every stack of the cloud assembly in `dir`, nested stage assemblies included, with its template.
 *
 * @throws CliError when there is no synthesized app there.
 */
export function readAssembly(dir: string): SynthesizedStack[] {
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new CliError(`no synthesized app in ${dir}: run \`npm run synth\` first (plan reads cdk.out, offline)`);
  }
  try {
    return readDirectory(dir);
  } catch (err) {
    throw new CliError(`cannot read the cloud assembly in ${dir} (${(err as Error).message}); run \`npm run synth\` again`);
  }
}
