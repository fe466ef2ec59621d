#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so that `tollgate` works straight from a clone.
require('tsx/cjs');
require('../cli/main.ts')
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
