// Mutation testing of the pure core: small deliberate bugs are planted one at a time in libs/policy,
// libs/tree and libs/search, and their specifications must notice each one. `npm run test:mutation`
// (incremental: only what changed since the last run is re-tested).
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  mutate: ['libs/policy/src/**/*.ts', 'libs/tree/src/**/*.ts', 'libs/search/src/**/*.ts', '!**/*.spec.ts', '!**/*.fixture.ts', '!**/testing/**', '!**/index.ts'],
  coverageAnalysis: 'off',
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  concurrency: 2,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['.hypotree', 'reports', '**/dist'],
};
