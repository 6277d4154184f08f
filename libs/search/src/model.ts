import type { GateFailedSchema, ModelCall, NodeId, ReuseSource, RunScore, SandboxKind, SearchEventData, SearchEventOf } from '@hypotree/events';
import type { PendingEvent } from '@hypotree/event-store';
import type { DispatchExperiment, DistillReply, ExperimentResultMessage, ExperimentStartedMessage } from '@hypotree/messaging';
import type { PolicySet } from '@hypotree/policy';
import type { Proposal } from '@hypotree/research';
import type { z } from 'zod';

/** A message from an executor, as the coordinator's controller hands it over (already validated). */
export type ExecutorReport =
  | { kind: 'started'; message: ExperimentStartedMessage }
  | { kind: 'heartbeat'; message: ExperimentStartedMessage }
  | { kind: 'result'; message: ExperimentResultMessage }
  /** A replay's experiment the family already ran: its recorded outcome, under this experiment's ids (see ExperimentReused). */
  | { kind: 'reused'; message: Pick<ExperimentResultMessage, 'searchId' | 'experimentId' | 'nodeId'>; reused: SearchEventData<'ExperimentReused'> };

/** Scores an evaluation produced and what it ran under. */
export interface Measured {
  runs: RunScore[];
  sandbox: SandboxKind;
  /** The evaluator hash right after the evaluation (absent: the task's as loaded). */
  evaluatorHash?: string;
  /** Taken from the family's earlier evaluation (a replay), not measured again. */
  reusedFrom?: ReuseSource;
}

/** An evaluation that produced no score: how it failed, why, and the end of what it printed. */
export interface EvaluationFailure {
  kind: z.infer<typeof GateFailedSchema>['kind'];
  detail: string;
  /** The end of the failing run's output (stderr, then stdout); empty when there was none. */
  outputTail: string;
}

/** A gate evaluation's outcome: scores, or why there are none. */
export type GateOutcome =
  | ({ ok: true } & Measured)
  | ({ ok: false; sandbox: SandboxKind; evaluatorHash?: string; reusedFrom?: ReuseSource } & Omit<EvaluationFailure, 'outputTail'> & { outputTail?: string });

/** The held-out test runs of one node, and where they came from when a replay reused them. */
export interface TestRuns {
  runs: RunScore[];
  reusedFrom?: ReuseSource;
}

/** Everything the search reacts to: what happened since the last decision. */
export type SearchInput =
  /** A new search: its first event (see `searchStarted`). */
  | { kind: 'start'; started: SearchEventOf<'SearchStarted'> }
  /** The coordinator (re)started on a search already in the log. */
  | { kind: 'resume' }
  /** Nothing is pending: what is the next step? */
  | { kind: 'advance' }
  | { kind: 'baseline-measured'; commit: string; measured: Measured }
  /** The baseline's dev evaluation produced no score: the search cannot start. */
  | { kind: 'baseline-failed'; commit: string; failure: EvaluationFailure }
  /** `modelCalls`: the model calls behind the proposals, recorded first (the log's cache of replies). */
  | { kind: 'proposed'; parentId: NodeId; proposals: Proposal[]; modelCalls?: ModelCall[] }
  | { kind: 'reported'; report: ExecutorReport }
  | { kind: 'gated'; nodeId: NodeId; commit: string; outcome: GateOutcome }
  | { kind: 'repeated'; nodeId: NodeId; commit: string; measured: Measured }
  | { kind: 'distilled'; nodeId: NodeId; drafts: DistillReply['drafts']; modelCalls?: ModelCall[] }
  /** The distiller kept failing after a node's decision: the search goes on without that lesson, and records why. */
  | { kind: 'distill-failed'; nodeId: NodeId; reason: string }
  /** Experiments whose lease ran out; those in `undeliverable` (with the reason) will not be delivered again and fail for good. */
  | { kind: 'leases-expired'; experimentIds: string[]; undeliverable?: Record<string, string> }
  | { kind: 'tested'; baseline: TestRuns; best: TestRuns }
  /** The held-out test of a node (the baseline or the best) produced no score. */
  | { kind: 'test-failed'; nodeId: NodeId; commit: string; failure: EvaluationFailure };

/** What the interpreter must do for the search; each one's outcome comes back as an input. */
export type SearchCommand =
  | { kind: 'measure-baseline'; commit: string; seeds: number[] }
  | { kind: 'propose'; parentId: NodeId; count: number }
  | { kind: 'dispatch'; message: DispatchExperiment }
  /** More dev runs of an evaluated node, with these seeds (adaptive repeats). */
  | { kind: 'repeat'; nodeId: NodeId; commit: string; seeds: number[] }
  /**
   * `seeds`: how many seeds to run (the task's `repeats` unless more are asked for, as for the
   * baseline), from seed `from` (1 unless this is a second look, which adds runs to the node's gate).
   */
  | { kind: 'gate'; nodeId: NodeId; commit: string; seeds?: number; from?: number }
  | { kind: 'distill'; nodeId: NodeId }
  /** Wait for an executor report or a lease to run out. */
  | { kind: 'await-report' }
  /** The held-out test, once: the baseline, and the best node unless it is the baseline. */
  | { kind: 'final-test'; baseline: { nodeId: NodeId; commit: string }; best?: { nodeId: NodeId; commit: string }; seeds: number }
  /** The search is over: complete and tested, or failed (see `SearchTree.failed`). */
  | { kind: 'finish' };

/** A line for the operator: progress, or something ignored or dropped and why. */
export interface Note {
  level: 'log' | 'warn';
  message: string;
}

/** The answer to one input: events to append (in order, before any command runs), then commands. */
export interface SearchDecision {
  events: PendingEvent[];
  commands: SearchCommand[];
  notes: Note[];
}

/** The search's fixed settings the decider needs besides the tree (from its configuration and task). */
export interface SearchSettings {
  leaseMs: number;
  maxAttempts: number;
  insights: boolean;
  /** The proposer's kind, for the reason a search stops when it has nothing new. */
  proposerKind: string;
  /** What every dispatch message carries besides the experiment. */
  dispatch: Pick<DispatchExperiment, 'taskSpec' | 'workdir' | 'implementer' | 'allowUnsandboxed'>;
  /**
   * Seeds for the baseline's dev and gate evaluations and for the final test: more than an
   * experiment's, so the noise estimates rest on enough runs from the start.
   */
  baselineRepeats: number;
  /** The task's hashes, recorded with the evaluations the coordinator runs itself. */
  specHash: string;
  evaluatorHash: string;
}

/** Everything `decide` reads besides the tree and the input: pure data and pure policies. */
export interface SearchContext {
  searchId: string;
  policies: PolicySet;
  settings: SearchSettings;
  now: Date;
}

/** The seeds an evaluation of `count` seeds from seed `from` runs: from, from + 1, … (a first look, a test: from 1). */
export function seedRange(count: number, from = 1): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}
