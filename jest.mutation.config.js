// The unit specifications of the pure core, which the mutation run (stryker.config.mjs) re-runs for
// every mutant: fast, no I/O, no servers.
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/libs/policy', '<rootDir>/libs/tree', '<rootDir>/libs/search'],
  testMatch: ['**/*.spec.ts'],
  // The calibration spec simulates hundreds of searches, the generalisation spec dozens of whole
  // synthetic searches (seconds per run each): run by `npm test`, not per mutant.
  testPathIgnorePatterns: ['/node_modules/', 'calibration\\.spec\\.ts$', 'generalise\\.spec\\.ts$'],
};
