/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/packages/tollgate-constructs/test'],
  // The app imports the constructs package by name, as another team would; in tests that name means the package's
  // TypeScript source (what `npm run synth` runs is its build in lib/, from the same source). Its pre-bundled
  // handler in lib/assets/ is built before the tests (`pretest`).
  moduleNameMapper: {
    '^@tollgate/constructs$': '<rootDir>/packages/tollgate-constructs/src/index.ts',
    '^@tollgate/constructs/lib/(.*)$': '<rootDir>/packages/tollgate-constructs/src/$1',
  },
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  transform: {
    // Transpile only (tsconfig.json's isolatedModules): `npm test` type-checks the whole project with tsc beside jest.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // temporal-polyfill (the release calendar's time zone arithmetic) ships ES modules only.
    '^.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(temporal-polyfill|temporal-utils|temporal-spec)/)'],
  // Template tests synthesize whole apps; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
