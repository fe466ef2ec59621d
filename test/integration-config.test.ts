/**
 * The integration tests' jest configuration, which the pipeline's Sandbox stage and `tollgate sandbox test` run:
 * in the repository (a fresh clone has it), finding the integration tests, and writing the JUnit report where the
 * stage's CodeBuild report group reads it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INTEGRATION_REPORT_DIRECTORY } from '../cdk/pipeline-sandbox';

const root = path.join(__dirname, '..');
const config = require(path.join(root, 'jest.integration.config.js')) as {
  roots: string[];
  testMatch: string[];
  reporters: (string | [string, { outputDirectory: string; outputName: string }])[];
};

test('runs test/integration/*.integration.ts, which exist, and never the unit tests', () => {
  expect(config.roots).toEqual(['<rootDir>/test/integration']);
  expect(config.testMatch).toEqual(['**/*.integration.ts']);
  expect(fs.readdirSync(path.join(root, 'test', 'integration')).filter((f) => f.endsWith('.integration.ts')).length).toBeGreaterThan(0);
});

test("writes the JUnit report where the Sandbox stage's report group reads it", () => {
  const junit = config.reporters.find((r): r is [string, { outputDirectory: string; outputName: string }] => Array.isArray(r) && r[0] === 'jest-junit');
  expect(junit?.[1]).toMatchObject({ outputDirectory: INTEGRATION_REPORT_DIRECTORY, outputName: 'junit.xml' });
});
