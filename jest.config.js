// Jest runs the TypeScript sources directly (ESM mode, swc transform); libraries
// resolve to their src/index.ts so tests never depend on a stale build.
const swc = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
  },
  module: { type: 'es6' },
};

export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', swc] },
  moduleNameMapper: {
    '^@hypotree/(coordinator|executor|distiller|analytics)$': '<rootDir>/apps/$1/src/index.ts',
    '^@hypotree/([a-z-]+)/testing$': '<rootDir>/libs/$1/src/testing/index.ts',
    '^@hypotree/(.*)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
  // A stuck test fails within its timeout; and whatever a failed test leaves open (a search's lease
  // timer, a child process) cannot keep the run from ending: the process exits when the tests are done.
  // 90 s: an end-to-end test that runs whole searches as processes takes 10-30 s alone and several
  // times that on a loaded 2-core machine with two workers; a hung one still fails.
  testTimeout: 90000,
  // Two workers on the 2-core machines this runs on: most suites wait on child processes (sandboxed
  // runs, servers), so two at once take ~40% less wall time than Jest's default of one (measured:
  // 671-812 s against 1,270 s for the whole suite).
  maxWorkers: 2,
  forceExit: true,
};
