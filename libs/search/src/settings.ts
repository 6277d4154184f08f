import type { Task } from '@hypotree/task';
import type { SearchConfig } from './config.js';
import type { SearchSettings } from './model.js';

/** The decider's settings of a search, from its configuration and task. */
export function searchSettings(config: SearchConfig, task: Task, proposerKind: string): SearchSettings {
  return {
    leaseMs: config.leaseMs,
    baselineRepeats: Math.max(4, task.spec.budgets.repeats),
    maxAttempts: config.maxAttempts,
    insights: config.research.insights,
    proposerKind,
    dispatch: { taskSpec: task.specPath, workdir: config.workdir, implementer: config.research.implementer, allowUnsandboxed: config.allowUnsandboxed },
    specHash: task.hash,
    evaluatorHash: task.evaluatorHash,
  };
}
