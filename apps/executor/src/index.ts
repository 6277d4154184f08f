export { ExecutorModule, type ExecutorOptions } from './executor.module.js';
export { ExperimentRunner, type ExecutorReports } from './experiment-runner.js';
export { implementerFor } from './implementers.js';
