import type { SandboxKind, SearchEventData, SearchEventOf } from '@hypotree/events';
import { ImplementerConfigSchema } from '@hypotree/messaging';
import { policyRef, PolicyParamsSchema, type PolicySet } from '@hypotree/policy';
import type { z } from 'zod';
import type { Task } from '@hypotree/task';
import type { SearchConfig } from './config.js';

/** What the first event of a search is made of. */
export interface SearchOrigin {
  task: Task;
  config: SearchConfig;
  policies: PolicySet;
  baseCommit: string;
  /** The sandbox this coordinator's evaluations run in. */
  sandbox: SandboxKind;
}

/** The first event of a new search: the task (spec and evaluator hashes, base commit), trust, budget, policies, research settings. */
export function searchStarted(searchId: string, origin: SearchOrigin): SearchEventOf<'SearchStarted'> {
  const { config, task, policies } = origin;
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
        baseCommit: origin.baseCommit,
        objective: task.spec.objective,
      },
      trust: { sandbox: origin.sandbox, allowUnsandboxed: config.allowUnsandboxed },
      budget: config.budget,
      policies: { selection: policyRef(policies.selection), admission: policyRef(policies.admission), refinement: policyRef(policies.refinement) },
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

const PROPOSERS = ['offline', 'random', 'tpe', 'llm'] as const;
const DISTILLERS = ['offline', 'llm'] as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], field: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new Error(`SearchStarted.${field} is '${value}', which this hypotree does not know (${allowed.join(', ')})`);
}

/**
 * The policy parameters a search was started with, as today's policies read them: a parameter that
 * did not exist when the search started gets the value that reproduces what it did then (admission
 * before version 3 had only the fixed test, before version 4 no gate reservation, before version 5 gate evaluations of the task's repeats; refinement before
 * version 2 pruned without the coverage condition; selection before version 3 ranked best-first by
 * dev rank alone). What a resume, a branch and a replay run under.
 * (Selection version 1 drew its random strategy from the tree's revision; version 2 cannot redo that.)
 */
export function recordedPolicyParams(started: SearchEventData<'SearchStarted'>): z.output<typeof PolicyParamsSchema> {
  const { selection, admission, refinement } = started.policies;
  const legacySelection = selection.version < 3 && selection.params.childEvidence === undefined ? { childEvidence: 0 } : {};
  const legacyAdmission = {
    ...(admission.version < 3 && admission.params.test === undefined ? { test: 'fixed' } : {}),
    ...(admission.version < 4 && admission.params.gateScarcity === undefined ? { gateScarcity: 0 } : {}),
    ...(admission.version < 5 && admission.params.gateRuns === undefined ? { gateRuns: 0 } : {}),
  };
  const legacyRefinement = refinement.version < 2 && refinement.params.falsifyCoverage === undefined ? { falsifyCoverage: 0 } : {};
  return PolicyParamsSchema.parse({
    selection: { ...selection.params, ...legacySelection },
    admission: { ...admission.params, ...legacyAdmission },
    refinement: { ...refinement.params, ...legacyRefinement },
  });
}

/**
 * The inverse of `searchStarted`: a resumed search runs under the budget, policies, research and
 * trust settings it was started with — the log, not today's command line, says what the search is.
 */
export function configFromStarted(config: SearchConfig, searchId: string, started: SearchEventData<'SearchStarted'>): SearchConfig {
  const policies = recordedPolicyParams(started);
  return {
    ...config,
    searchId,
    allowUnsandboxed: started.trust?.allowUnsandboxed ?? config.allowUnsandboxed,
    budget: started.budget,
    seed: started.seed,
    policies,
    research: {
      ...config.research,
      proposer: oneOf(started.research.proposer, PROPOSERS, 'research.proposer'),
      distiller: oneOf(started.research.distiller, DISTILLERS, 'research.distiller'),
      insights: started.research.insights,
      model: started.research.model,
      implementer: started.research.implementerSettings ? ImplementerConfigSchema.parse(started.research.implementerSettings) : config.research.implementer,
    },
  };
}

/**
 * How the task differs from the one the search started with (spec, evaluator files, base commit,
 * name); empty when it is the same. Scores of one search are comparable only if every one came
 * from the same task, so a resume against any difference is refused.
 */
export function taskChanges(started: SearchEventData<'SearchStarted'>['task'], task: Task, baseCommit: string): string[] {
  const changes: (string | false)[] = [
    started.specHash !== task.hash && `spec hash ${started.specHash.slice(0, 12)} → ${task.hash.slice(0, 12)} (${task.specPath})`,
    started.evaluatorHash !== undefined && started.evaluatorHash !== task.evaluatorHash &&
      `evaluator files ${started.evaluatorHash.slice(0, 12)} → ${task.evaluatorHash.slice(0, 12)} (${task.dir})`,
    started.baseCommit !== baseCommit && `base commit ${started.baseCommit.slice(0, 12)} → ${baseCommit.slice(0, 12)}`,
    started.name !== task.spec.name && `task ${started.name} → ${task.spec.name}`,
  ];
  return changes.filter((c): c is string => c !== false);
}
