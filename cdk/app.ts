#!/usr/bin/env node
import { ConfigError } from './config';
import { createTollgateApp } from './tollgate';

try {
  createTollgateApp().app.synth();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // One line naming the field and the value, and a non-zero exit: nothing is synthesized.
  console.error(`tollgate: ${err.message}`);
  process.exit(1);
}
