// The quick mutation run CI affords (`npm run test:mutation:quick`, after `npm test` in .ci/run): the
// fold of libs/tree and the admission rules of libs/policy (admission and the budget; the noise model
// it calls is left to the full run, where all of its mutants are killed, to keep CI short),
// each against its own specifications only, and the run fails below the 80% floor.
//
// Two parts, chosen with MUTATION_PART, run one after the other by the npm script: a mutant of the
// fold is re-tested by the fold's specifications (evolve*, failed, queries), a mutant of admission by the
// specifications that state it (admission*, noise, budget, integrity): Jest's cost per mutant grows
// with the spec files it loads. Both use every core (2 on CI) and restart the
// Jest runner every 25 mutants (Jest's ESM mode grows by ~100 MB a run). Incremental per part, so a
// local rerun re-tests only what changed; a fresh clone (CI) tests every mutant.
import base from './stryker.config.mjs';

const parts = {
  fold: {
    mutate: ['libs/tree/src/evolve.ts'],
    roots: ['<rootDir>/libs/tree'],
    testMatch: ['**/evolve*.spec.ts', '**/failed.spec.ts', '**/queries.spec.ts'],
  },
  admission: {
    mutate: ['libs/policy/src/admission.ts', 'libs/policy/src/budget.ts'],
    roots: ['<rootDir>/libs/policy'],
    testMatch: ['**/admission*.spec.ts', '**/noise.spec.ts', '**/budget.spec.ts', '**/integrity.spec.ts'],
  },
};

const name = process.env.MUTATION_PART ?? 'fold';
const part = parts[name];
if (!part) throw new Error(`MUTATION_PART must be one of ${Object.keys(parts).join(', ')}, not ${name}`);

export default {
  ...base,
  mutate: part.mutate,
  jest: { ...base.jest, config: { roots: part.roots, testMatch: part.testMatch } },
  concurrency: 2,
  maxTestRunnerReuse: 25,
  incremental: true,
  incrementalFile: `reports/mutation/quick-${name}-incremental.json`,
  reporters: ['clear-text', 'progress-append-only', 'json'],
  // The CI log lists each surviving mutant, not which test killed what.
  clearTextReporter: { reportTests: false, reportMutants: true, reportScoreTable: true },
  jsonReporter: { fileName: `reports/mutation/quick-${name}.json` },
  thresholds: { high: 90, low: 80, break: 80 },
  tempDirName: `.stryker-tmp-quick-${name}`,
};
