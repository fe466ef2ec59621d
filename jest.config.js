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
    // Transpile only, with swc (tsconfig.json's isolatedModules keeps that sound): `npm test` type-checks the whole
    // project with tsc beside jest. swc rather than ts-jest: a fresh clone transpiles every file once, and swc does
    // it in a fraction of ts-jest's CPU time. @swc/jest hoists jest.mock() above the imports, as ts-jest does.
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // temporal-polyfill (the release calendar's time zone arithmetic) ships ES modules only.
    '^.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(temporal-polyfill|temporal-utils|temporal-spec)/)'],
  // Template tests synthesize whole apps; two workers match the two cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
