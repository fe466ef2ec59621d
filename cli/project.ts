import * as path from 'node:path';

/** The clone the CLI runs from: its `cdk.out`, its pinned `node_modules/aws-cdk` and its git repository. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');
