/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Transpile only: `npm test` type-checks the whole project once with tsc before jest runs.
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }],
  },
  // Template tests synthesize whole apps; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
