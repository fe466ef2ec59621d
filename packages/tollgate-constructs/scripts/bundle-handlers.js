// Bundles each Lambda handler the constructs deploy into lib/assets/<name>/index.js (with its source map), so the
// package ships them and an app using the constructs synthesizes with no esbuild and no TypeScript source. The
// options are those NodejsFunction used for the gate before (Node 24, minified, source map, the AWS SDK v3 and
// Smithy left to the Lambda runtime, which provides them); everything else, zod and the calendar included, is
// inside the bundle, so the function needs none of the package's dependencies at run time.
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
// Lambda handlers: the runtime provides the AWS SDK v3 and Smithy.
const handlers = { 'bake-gate': 'src/lambdas/bake-gate/index.ts', 'release-recorder': 'src/lambdas/release-recorder/index.ts' };
// The replacement guard runs in CodeBuild, which provides no SDK: its bundle carries it.
const selfContained = { 'replacement-guard': 'src/lambdas/replacement-guard/index.ts' };

function bundle(name, entry, options) {
  esbuild.buildSync({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, 'lib', 'assets', name, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    minify: true,
    logLevel: 'error',
    ...options,
  });
}

for (const [name, entry] of Object.entries(handlers)) {
  bundle(name, entry, { target: 'node24', sourcemap: true, external: ['@aws-sdk/*', '@smithy/*'] });
}
for (const [name, entry] of Object.entries(selfContained)) {
  bundle(name, entry, { target: 'node22', legalComments: 'none' });
}
