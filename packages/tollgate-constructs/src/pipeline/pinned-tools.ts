/**
 * The exact versions of the tools that run with deploy rights in the pipeline, read from the app's (the current
 * directory's, where `cdk synth` runs) package.json so the pipeline installs what `npm ci` installs for developers and tests. Both are exact
 * devDependencies: `aws-cdk` for self-mutation, `cdk-assets` for asset publishing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The Node.js major every CodeBuild project of the pipeline selects on its image (standard:7.0 offers 18, 20, 22
 * and 24): the lowest one Tollgate supports, the LTS the AWS SDK keeps supporting after January 2027.
 */
export const PIPELINE_BUILD_NODE_MAJOR = '22';

const EXACT_VERSION = /^\d+\.\d+\.\d+$/;

/** The exact version of `pkg` in package.json's devDependencies; throws unless it is an exact `x.y.z`. */
export function pinnedDevDependency(pkg: string, packageJsonPath = path.join(process.cwd(), 'package.json')): string {
  const manifest = JSON.parse(fs.readFileSync(packageJsonPath, 'utf8')) as { devDependencies?: Record<string, string> };
  const version = manifest.devDependencies?.[pkg];
  if (version === undefined || !EXACT_VERSION.test(version)) {
    throw new Error(`${packageJsonPath}: devDependencies.${pkg} must be an exact version like 1.2.3, got ${JSON.stringify(version)}`);
  }
  return version;
}
