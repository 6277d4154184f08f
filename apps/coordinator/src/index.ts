export { CoordinatorModule } from './coordinator.module.js';
export { SearchRuns } from './search-runs.js';
export { SearchRun, MAX_PROPOSAL_FAILURES, type SearchRunDeps, type RunMemo } from './search-run.js';
export { runMemo, refusingEvaluators, refuseDispatch } from './replay-memo.js';
export { SearchFailedError, SearchInterrupted, ReplayNeeds, diagnosisLine } from './errors.js';
export { summarize, type SearchSummary } from './summary.js';
export { worktreeEvaluators, DevEvaluationError, outputTail, type CoordinatorEvaluators } from './evaluators.js';
export { coordinateSearch, actor, newSearchId, type SearchRunOptions, type SearchWiring } from './coordinate.js';
export { runDistributed, type DistributedRunOptions } from './distributed.js';
