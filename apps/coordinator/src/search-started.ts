import type { SearchEvent } from '@hypotree/events';
import type { SearchRunDeps } from './search-run.js';

function refOf(policy: { name: string; version: number; params: object }) {
  return { name: policy.name, version: policy.version, params: { ...policy.params } };
}

/** The first event of a new search: the task (with its spec hash and base commit), budget, policies and research settings. */
export function searchStarted(searchId: string, deps: Pick<SearchRunDeps, 'task' | 'config' | 'policies' | 'baseCommit' | 'evaluators'>): SearchEvent {
  const { config, task, policies } = deps;
  return {
    type: 'SearchStarted',
    data: {
      searchId,
      task: {
        name: task.spec.name,
        specPath: task.specPath,
        specHash: task.hash,
        evaluatorHash: task.evaluatorHash,
        repo: task.repo,
        baseCommit: deps.baseCommit,
        objective: task.spec.objective,
      },
      trust: { sandbox: deps.evaluators.sandbox, allowUnsandboxed: config.allowUnsandboxed },
      budget: config.budget,
      policies: { selection: refOf(policies.selection), admission: refOf(policies.admission), refinement: refOf(policies.refinement) },
      research: {
        proposer: config.research.proposer,
        implementer: config.research.implementer.kind,
        implementerSettings: { ...config.research.implementer },
        distiller: config.research.distiller,
        insights: config.research.insights,
        model: config.research.model,
      },
      seed: config.seed,
    },
  };
}
