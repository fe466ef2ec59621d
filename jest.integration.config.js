/**
 * The integration tests (`test/integration/*.integration.ts`): against a deployed service, never part of `npm test`.
 * The pipeline's Sandbox stage runs them in CodeBuild (its report group reads the JUnit file) and
 * `tollgate sandbox test` against a developer's sandbox. They need API_URL and TILE_SERVER_URL, and credentials
 * that may invoke the API's write route (or INTEGRATION_ROLE_ARN, a role to assume for it).
 *
 * @type {import('jest').Config}
 */
const base = require('./jest.config.js');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/integration'],
  moduleNameMapper: base.moduleNameMapper,
  transform: base.transform,
  transformIgnorePatterns: base.transformIgnorePatterns,
  setupFiles: base.setupFiles,
  testMatch: ['**/*.integration.ts'],
  // One service, one worker: the tests write and read the same table.
  maxWorkers: 1,
  testTimeout: 30000,
  reporters: ['default', ['jest-junit', { outputDirectory: 'reports/integration', outputName: 'junit.xml', classNameTemplate: '{classname}', titleTemplate: '{title}' }]],
};
