export { simulateSearch, admittedKinds, type SyntheticCandidate, type SyntheticSearch, type SyntheticSearchShape } from './simulate.js';
