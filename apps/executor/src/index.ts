export { ExecutorModule, type ExecutorOptions } from './executor.module.js';
export { ExperimentRunner, type ExecutorReports } from './experiment-runner.js';
export { implementerFor } from './implementers.js';
export { ExecutorServiceConfigSchema, parseExecutorServiceConfig, executorWorkdir, type ExecutorServiceConfig, type ExecutorServiceInput } from './service-config.js';
export { startExecutorService, type ExecutorService } from './service.js';
export { serveExecutor } from './main.js';
