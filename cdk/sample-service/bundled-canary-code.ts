import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as synthetics from 'aws-cdk-lib/aws-synthetics';
import * as esbuild from 'esbuild';
import { Construct } from 'constructs';

export interface BundledCanaryCodeProps {
  /** Path of the canary's TypeScript entry point, which exports the handler. */
  readonly entry: string;
  /**
   * Modules the Synthetics runtime provides, left out of the bundle.
   *
   * @default ['Synthetics']
   */
  readonly externalModules?: string[];
  /**
   * The Node.js version esbuild compiles for: the runtime's (syn-nodejs-puppeteer-13.0 runs Node.js 22).
   *
   * @default 'node22'
   */
  readonly target?: string;
}

/**
 * Bundles `entry` with esbuild into `outputDir/nodejs/node_modules/<fileName>.js`, the layout the Synthetics
 * Node.js runtimes load a handler `<fileName>.handler` from ("Writing a Node.js canary script using the
 * Puppeteer runtime", CloudWatch User Guide). Returns the file's path.
 */
export function bundleCanaryScript(entry: string, outputDir: string, fileName: string, options: Omit<BundledCanaryCodeProps, 'entry'> = {}): string {
  const outfile = path.join(outputDir, 'nodejs', 'node_modules', `${fileName}.js`);
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: options.target ?? 'node22',
    external: options.externalModules ?? ['Synthetics'],
    logLevel: 'error',
  });
  return outfile;
}

/**
 * Canary code from a TypeScript entry point, bundled by esbuild at synth (never in Docker), as `NodejsFunction`
 * bundles: skipped like theirs when the stack is not bundled (`aws:cdk:bundling-stacks`), which
 * `synthetics.Code.fromAsset` cannot do (it looks for the handler in a bundle that was never made).
 */
export class BundledCanaryCode extends synthetics.Code {
  private asset?: s3assets.Asset;

  constructor(private readonly props: BundledCanaryCodeProps) {
    super();
  }

  bind(scope: Construct, handler: string, family: synthetics.RuntimeFamily): synthetics.CodeConfig {
    if (family !== synthetics.RuntimeFamily.NODEJS) throw new Error(`BundledCanaryCode bundles Node.js canaries only, got runtime family ${family}`);
    const [fileName] = handler.split('.');
    const { entry, ...options } = this.props;
    this.asset ??= new s3assets.Asset(scope, 'Code', {
      path: path.dirname(entry),
      // The bundle's own hash: a change in anything it imports gives a new asset, and nothing else does.
      assetHashType: cdk.AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling either succeeds or throws.
        image: cdk.DockerImage.fromRegistry('none'),
        local: {
          tryBundle(outputDir: string): boolean {
            bundleCanaryScript(entry, outputDir, fileName, options);
            return true;
          },
        },
      },
    });
    return { s3Location: { bucketName: this.asset.s3BucketName, objectKey: this.asset.s3ObjectKey } };
  }
}
