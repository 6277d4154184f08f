// Specifications for the search decider, in the given / when / then form:
//   given(events).when(input).then({ events: ['ExperimentFailed'], commands: [{ kind: 'dispatch' }] })
// Production code never imports this entry point (`@hypotree/search/testing`).
import assert from 'node:assert/strict';
import type { RecordedSearchEvent } from '@hypotree/events';
import { buildPolicies, type PolicyParams } from '@hypotree/policy';
import { fold } from '@hypotree/tree';
import { decide } from '../decide.js';
import type { SearchCommand, SearchContext, SearchDecision, SearchInput, SearchSettings } from '../model.js';

/** Settings of a specification's search, unless the specification says otherwise. */
export const SPEC_SETTINGS: SearchSettings = {
  leaseMs: 60_000,
  baselineRepeats: 4,
  maxAttempts: 3,
  insights: true,
  proposerKind: 'offline',
  dispatch: { taskSpec: '/demo/hypotree.task.json', workdir: '/demo/.hypotree', implementer: { kind: 'params' }, allowUnsandboxed: false },
  specHash: 'h',
  evaluatorHash: 'e',
};

/** What a specification may set besides the events. */
export interface SpecOptions {
  searchId?: string;
  policies?: PolicyParams;
  settings?: Partial<SearchSettings>;
  now?: Date;
}

/** An expected event: its type alone, or its type and the part of its data that matters. */
export type ExpectedEvent = string | { type: string; data?: Record<string, unknown> };
/** An expected command: its kind alone, or the part of it that matters. */
export type ExpectedCommand = SearchCommand['kind'] | ({ kind: SearchCommand['kind'] } & Record<string, unknown>);

/** Whether `actual` contains `expected`: every key of an expected object, every element of an expected array (same length). */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => contains(actual[i], e));
  if (expected !== null && typeof expected === 'object') {
    return actual !== null && typeof actual === 'object' && Object.entries(expected).every(([k, v]) => contains((actual as Record<string, unknown>)[k], v));
  }
  return Object.is(actual, expected);
}

function check(what: string, actual: unknown[], expected: unknown[]): void {
  const ok = actual.length === expected.length && expected.every((e, i) => contains(actual[i], e));
  if (!ok) assert.fail(`${what} differ:\n  expected ${JSON.stringify(expected)}\n  actual   ${JSON.stringify(actual)}`);
}

/** The decision of one input, and the assertions a specification makes on it. */
export interface Outcome {
  readonly decision: SearchDecision;
  then(expected: { events?: ExpectedEvent[]; commands?: ExpectedCommand[]; warns?: RegExp[] }): Outcome;
}

/** Starts a specification: the search's past events (e.g. from `EventScript`). */
export function given(events: readonly RecordedSearchEvent[], options: SpecOptions = {}) {
  const searchId = options.searchId ?? events.find((e) => e.type === 'SearchStarted')?.data.searchId ?? 's1';
  const context: SearchContext = {
    searchId,
    policies: buildPolicies(options.policies ?? {}),
    settings: { ...SPEC_SETTINGS, ...options.settings },
    now: options.now ?? new Date(Date.parse(events.at(-1)?.metadata.at ?? '2026-01-01T00:00:00Z') + 1000),
  };
  const tree = fold(events);
  return {
    when(input: SearchInput) {
      return {
        /** Asserts the decision's events (types, data subsets), commands (kinds, subsets) and warnings, in order. */
        then(expected: { events?: ExpectedEvent[]; commands?: ExpectedCommand[]; warns?: RegExp[] }): Outcome {
          const decision = decide(tree, input, context);
          const outcome: Outcome = {
            decision,
            then(more) {
              if (more.events) check('events', decision.events.map((p) => p.event), more.events.map((e) => (typeof e === 'string' ? { type: e } : e)));
              if (more.commands) check('commands', decision.commands, more.commands.map((c) => (typeof c === 'string' ? { kind: c } : c)));
              if (more.warns) {
                const warns = decision.notes.filter((n) => n.level === 'warn').map((n) => n.message);
                check('warnings', warns, warns.length === more.warns.length ? more.warns.map((r, i) => (r.test(warns[i]!) ? warns[i] : r.source)) : more.warns.map(String));
              }
              return outcome;
            },
          };
          return outcome.then(expected);
        },
        /** Asserts that the decider refuses the input. */
        thenThrows(pattern: RegExp): void {
          assert.throws(() => decide(tree, input, context), pattern);
        },
      };
    },
  };
}

export { SYNTHETIC_TASKS, valley, plateau, cliff, binpack, combo, sparse, retrieval, pipeline, schedule, type SyntheticTask, type SyntheticConfig } from './synthetic-tasks.js';
export { syntheticSearch, searchInMemory, fairRandomSearch, measure, achievedFraction, syntheticTaskSpec, type SyntheticSearchOptions, type SyntheticOutcome, type MemoryProblem, type MemoryOutcome } from './synthetic-search.js';
export { ratioInterval, seedBySeed, type RatioInterval, type SeedScore } from './method-comparison.js';
