// Mutation testing of the pure core: small deliberate bugs are planted one at a time in libs/policy,
// libs/tree and libs/search, and their specifications must notice each one. `npm run test:mutation`
// (incremental: only what changed since the last run is re-tested).
//
// MUTATE=tree (or policy, search, or a comma list) restricts the run to those libraries, each mutant
// then re-tested by those libraries' specifications only (faster: Jest's cost per run grows with the
// spec files it loads), with its own incremental file. The quick run CI affords is
// stryker.quick.config.mjs (`npm run test:mutation:quick`).
const libs = (process.env.MUTATE ?? 'policy,tree,search').split(',').map((lib) => lib.trim()).filter(Boolean);
const all = libs.join(',') === 'policy,tree,search';

export default {
  packageManager: 'npm',
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.mutation.config.js',
    enableFindRelatedTests: false,
    ...(all ? {} : { config: { roots: libs.map((lib) => `<rootDir>/libs/${lib}`) } }),
  },
  mutate: [...libs.map((lib) => `libs/${lib}/src/**/*.ts`), '!**/*.spec.ts', '!**/*.fixture.ts', '!**/testing/**', '!**/index.ts'],
  // Per-test coverage analysis hangs with Jest's ESM mode here: every mutant runs the whole selection.
  coverageAnalysis: 'off',
  incremental: true,
  incrementalFile: all ? 'reports/mutation/stryker-incremental.json' : `reports/mutation/stryker-incremental-${libs.join('-')}.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  concurrency: 2,
  // Jest's ESM mode keeps ~100 MB per run in a runner and slows down as it grows: a fresh runner
  // every 25 mutants halves the time per mutant.
  maxTestRunnerReuse: 25,
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['.hypotree', 'reports', '**/dist', '.stryker-tmp*'],
};
