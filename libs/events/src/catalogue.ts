import { z } from 'zod';
import {
  FailureKindSchema,
  HypothesisChangeSchema,
  NodeIdSchema,
  ModelCallSchema,
  ObjectiveSchema,
  PolicyRefSchema,
  ProducerRefSchema,
  ReuseSourceSchema,
  RunScoreSchema,
  TokenUsageSchema,
} from './common.js';
import { IntegritySchema, TrustSchema } from './trust.js';

// The event catalogue of one search stream (`search-<searchId>`). One file, so a reader can
// scan every fact the system records. Data only: events carry no behaviour.

const EventIdList = z.array(z.string().min(1));

export const SearchStartedSchema = z.object({
  searchId: z.string().min(1),
  task: z.object({
    name: z.string().min(1),
    specPath: z.string().min(1),
    specHash: z.string().min(1),
    repo: z.string().min(1),
    baseCommit: z.string().min(1),
    objective: ObjectiveSchema,
    /** Hash of the evaluator files (absent in logs written before the trusted scorer protocol). */
    evaluatorHash: z.string().min(1).optional(),
  }),
  trust: TrustSchema.optional(),
  budget: z.object({
    experiments: z.number().int().positive(),
    parallel: z.number().int().positive(),
    gateEvaluations: z.number().int().nonnegative(),
    wallClockMs: z.number().int().positive().optional(),
    tokens: z.number().int().positive().optional(),
  }),
  policies: z.object({
    selection: PolicyRefSchema,
    admission: PolicyRefSchema,
    refinement: PolicyRefSchema,
  }),
  research: z.object({
    proposer: z.string().min(1),
    implementer: z.string().min(1),
    /** The implementer's settings (agent command line, model…), so a resume runs the same implementer. */
    implementerSettings: z.record(z.string(), z.unknown()).optional(),
    distiller: z.string().min(1),
    insights: z.boolean(),
    model: z.string().optional(),
  }),
  seed: z.number().int(),
});

export const SearchBranchedSchema = z.object({
  searchId: z.string().min(1),
  parent: z.object({ searchId: z.string().min(1), revision: z.number().int().nonnegative() }),
  reason: z.string().min(1),
  policies: SearchStartedSchema.shape.policies.partial().optional(),
  /**
   * A counterfactual replay (`hypotree replay`) of the search `of`: the whole search re-run from its
   * start under these policies, reusing what the family already measured.
   */
  replay: z.object({ of: z.string().min(1) }).optional(),
});

export const BaselineMeasuredSchema = z.object({
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
  runs: z.array(RunScoreSchema).min(1),
  integrity: IntegritySchema.optional(),
  /** A replay took these runs from an earlier evaluation of the same commit and seeds. */
  reusedFrom: ReuseSourceSchema.optional(),
});

export const HypothesisProposedSchema = z.object({
  nodeId: NodeIdSchema,
  parentId: NodeIdSchema,
  title: z.string().min(1),
  mechanism: z.string().min(1),
  prediction: z.string().min(1),
  change: HypothesisChangeSchema,
  proposer: ProducerRefSchema,
  insightsConsidered: z.array(z.string()),
  /** Constraint insights the proposer set aside for this hypothesis because, with them, nothing new was left to try. */
  insightsRelaxed: z.array(z.string()).optional(),
});

export const ExperimentDispatchedSchema = z.object({
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  baseCommit: z.string().min(1),
  attempt: z.number().int().positive(),
  leaseMs: z.number().int().positive(),
});

export const ExperimentStartedSchema = z.object({
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  executorId: z.string().min(1),
});

/** How the executor implemented the hypothesis: the implementer, its attempts, and the model and tokens it used. */
const ImplementationSchema = z.object({
  implementer: z.string().min(1),
  attempts: z.number().int().nonnegative(),
  model: z.string().optional(),
  usage: TokenUsageSchema.optional(),
});

/** The sandbox field of events written before `integrity` existed. */
const LegacySandboxSchema = z.enum(['isolated', 'none']);

export const ExperimentSucceededSchema = z.object({
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  executorId: z.string().min(1),
  commit: z.string().min(1),
  ref: z.string().min(1),
  runs: z.array(RunScoreSchema).min(1),
  report: z.object({
    summary: z.string(),
    filesChanged: z.array(z.string()),
    insertions: z.number().int().nonnegative(),
    deletions: z.number().int().nonnegative(),
  }),
  durationMs: z.number().nonnegative(),
  implementation: ImplementationSchema.optional(),
  sandbox: LegacySandboxSchema.optional(),
  integrity: IntegritySchema.optional(),
});

export const ExperimentFailedSchema = z.object({
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  executorId: z.string().optional(),
  kind: FailureKindSchema,
  detail: z.string(),
  durationMs: z.number().nonnegative().optional(),
  implementation: ImplementationSchema.optional(),
  sandbox: LegacySandboxSchema.optional(),
  integrity: IntegritySchema.optional(),
});

/** More dev runs of a node whose result was close to the admission threshold (adaptive repeats): they join its result's runs. */
export const ExperimentRepeatedSchema = z.object({
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
  runs: z.array(RunScoreSchema).min(1),
  integrity: IntegritySchema.optional(),
  reusedFrom: ReuseSourceSchema.optional(),
});

/**
 * A replay's experiment that the family had already run: the same resulting artifact (the same
 * parameter configuration on the same base artifact, or the same instructions on the same base
 * commit) with the same seeds. `outcome` is the recorded result under this search's experiment and
 * node ids, `source` the event it was taken from. Nothing ran again.
 */
export const ExperimentReusedSchema = z.object({
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  source: ReuseSourceSchema.extend({ nodeId: NodeIdSchema }),
  outcome: z.discriminatedUnion('type', [
    z.object({ type: z.literal('ExperimentSucceeded'), data: ExperimentSucceededSchema }),
    z.object({ type: z.literal('ExperimentFailed'), data: ExperimentFailedSchema }),
  ]),
});

/** A model call of the proposer or the distiller as answered: the log's cache of model replies (see ModelCallSchema). */
export const ModelCalledSchema = ModelCallSchema.extend({ nodeId: NodeIdSchema });

export const GateEvaluatedSchema = z.object({
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
  runs: z.array(RunScoreSchema).min(1),
  /** How many gate evaluations the search has spent, this one included. */
  gateEvaluationsUsed: z.number().int().positive(),
  integrity: IntegritySchema.optional(),
  /**
   * A replay took this evaluation from an earlier one of the same commit: it counts against this
   * search's gate budget (the search would have spent it), but the sealed gate was not run again.
   */
  reusedFrom: ReuseSourceSchema.optional(),
  /**
   * A second look (admission's `gateExtend`): the id of this node's gate evaluation whose runs this
   * one adds to, with new seeds. It is a gate evaluation of its own, counted against the gate budget;
   * with second looks on, each of a candidate's looks tests at alpha / 2G. The fold accepts one only
   * when the search's admission policy takes second looks, with exactly `gateExtend` runs.
   */
  extendsGate: z.string().min(1).optional(),
});

/** A gate evaluation that produced no score (timeout, crash, no metric): still a gate call, counted. */
export const GateFailedSchema = z.object({
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
  kind: z.enum(['timeout', 'crash', 'no-metric', 'malformed-output', 'scorer-error']),
  detail: z.string(),
  gateEvaluationsUsed: z.number().int().positive(),
  integrity: IntegritySchema.optional(),
  reusedFrom: ReuseSourceSchema.optional(),
  /** A failed second look: the gate evaluation it was to add runs to (see GateEvaluated). */
  extendsGate: z.string().min(1).optional(),
});

const DecisionSchema = z.object({
  nodeId: NodeIdSchema,
  policy: PolicyRefSchema,
  rule: z.string().min(1),
  reason: z.string().min(1),
  evidence: EventIdList,
  deltas: z.record(z.string(), z.number()),
});
export const HypothesisAdmittedSchema = DecisionSchema;
export const HypothesisRejectedSchema = DecisionSchema;

/** A machine-readable form of an offline lesson, so proposers can honour it without parsing prose. */
export const InsightClaimSchema = z.object({
  param: z.string().min(1),
  relation: z.enum(['above', 'below', 'equals']),
  value: z.union([z.number(), z.string(), z.boolean()]),
  outcome: z.enum(['hurts', 'helps']),
  support: z.number().int().nonnegative(),
  of: z.number().int().positive(),
  /**
   * How the evidence isolates the parameter: `one-factor` when every outcome behind the claim moved
   * this parameter alone (its parent is the control), `correlation` when other parameters moved too.
   * A correlation is a hint, never a hard constraint. Absent in logs written before it existed.
   */
  isolation: z.enum(['one-factor', 'correlation']).optional(),
});

export const InsightDistilledSchema = z.object({
  insightId: z.string().min(1),
  nodeId: NodeIdSchema,
  scope: z.enum(['node', 'subtree', 'global']),
  kind: z.enum(['finding', 'constraint']),
  text: z.string().min(1),
  evidence: EventIdList,
  distiller: ProducerRefSchema,
  claim: InsightClaimSchema.optional(),
  /**
   * What the lesson rests on: `gate` when every outcome behind it was verified on the sealed gate
   * (or was a failure), `dev` when some rest on dev scores alone. Only a `gate` lesson may be a
   * constraint (a hard limit for proposers); a `dev` lesson is a preference.
   */
  basis: z.enum(['gate', 'dev']).optional(),
});

export const InsightSupersededSchema = z.object({
  insightId: z.string().min(1),
  supersededBy: z.string().min(1).optional(),
  reason: z.string().min(1),
});

/**
 * No lesson could be drawn after a node's decision: the distiller kept failing (no answer, an
 * error) through its retries, and the search went on without it. Recorded so an audit sees the gap.
 */
export const DistillationFailedSchema = z.object({
  nodeId: NodeIdSchema,
  reason: z.string().min(1),
});

/** The proposer had nothing new under a node: it is no longer expanded (the rest of the tree still is). */
export const ExpansionExhaustedSchema = z.object({
  nodeId: NodeIdSchema,
  proposer: z.string().min(1),
  reason: z.string().min(1),
});

export const NodePrunedSchema = z.object({
  nodeId: NodeIdSchema,
  reason: z.string().min(1),
  policy: PolicyRefSchema,
  rule: z.string().min(1),
});

export const SearchCompletedSchema = z.object({
  reason: z.string().min(1),
  bestNodeId: NodeIdSchema,
});

/**
 * The search cannot go on and never will: the baseline's dev or gate evaluation, or the final
 * held-out test, produced no score (a broken evaluator command, a crashing or silent scorer). No
 * decision rests on a measurement that failed; the search ends here, and a resume says so.
 */
export const SearchFailedSchema = z.object({
  /** One line: what failed and why. */
  reason: z.string().min(1),
  /** The evaluator whose run failed. */
  evaluator: z.enum(['dev', 'gate', 'test']),
  /** How it failed, as an evaluation failure is classified. */
  kind: z.enum(['timeout', 'crash', 'no-metric', 'malformed-output', 'scorer-error']),
  /** The end of what the failing run printed (stderr, then stdout), for the diagnosis. */
  outputTail: z.string(),
  /** The node whose evaluation failed (the root for the baseline) and the commit it ran on. */
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
});

const HeldOutScoreSchema = z.object({
  nodeId: NodeIdSchema,
  commit: z.string().min(1),
  value: z.number(),
  /** The test's runs (absent in logs written before they were recorded): what a replay can reuse. */
  runs: z.array(RunScoreSchema).min(1).optional(),
  /** A replay took this score from the family's earlier test of the same commit: the test set was not used again. */
  reusedFrom: ReuseSourceSchema.optional(),
});
export const FinalTestEvaluatedSchema = z.object({
  baseline: HeldOutScoreSchema,
  best: HeldOutScoreSchema,
  /** (S(M*) − S(M0)) / (|S(M0)| + ε), with scores oriented so larger is better. */
  relativeGain: z.number(),
  gateEvaluations: z.number().int().nonnegative(),
  /**
   * The relative gain's 95% interval from the test's seeds (Student's t on the pooled spread of
   * both evaluations); `withinNoise` when it holds 0. Absent in logs written before it was recorded.
   */
  uncertainty: z
    .object({ low: z.number(), high: z.number(), se: z.number().nonnegative(), df: z.number().int().nonnegative(), withinNoise: z.boolean() })
    .optional(),
});

/** Every event type of a search stream and the zod schema of its data, at the current schema version. */
export const searchEventSchemas = {
  SearchStarted: SearchStartedSchema,
  SearchBranched: SearchBranchedSchema,
  BaselineMeasured: BaselineMeasuredSchema,
  HypothesisProposed: HypothesisProposedSchema,
  ExperimentDispatched: ExperimentDispatchedSchema,
  ExperimentStarted: ExperimentStartedSchema,
  ExperimentSucceeded: ExperimentSucceededSchema,
  ExperimentFailed: ExperimentFailedSchema,
  ExperimentRepeated: ExperimentRepeatedSchema,
  ExperimentReused: ExperimentReusedSchema,
  ModelCalled: ModelCalledSchema,
  GateEvaluated: GateEvaluatedSchema,
  GateFailed: GateFailedSchema,
  HypothesisAdmitted: HypothesisAdmittedSchema,
  HypothesisRejected: HypothesisRejectedSchema,
  InsightDistilled: InsightDistilledSchema,
  InsightSuperseded: InsightSupersededSchema,
  DistillationFailed: DistillationFailedSchema,
  NodePruned: NodePrunedSchema,
  ExpansionExhausted: ExpansionExhaustedSchema,
  SearchCompleted: SearchCompletedSchema,
  SearchFailed: SearchFailedSchema,
  FinalTestEvaluated: FinalTestEvaluatedSchema,
} as const;

export type SearchEventType = keyof typeof searchEventSchemas;
export type SearchEventData<T extends SearchEventType> = z.infer<(typeof searchEventSchemas)[T]>;

/** A search event before it is stored: a discriminated union on `type`. */
export type SearchEvent = { [T in SearchEventType]: { type: T; data: SearchEventData<T> } }[SearchEventType];

/** The event of one type, narrowed from the union. */
export type SearchEventOf<T extends SearchEventType> = Extract<SearchEvent, { type: T }>;

/** Whether a string names a type of the catalogue. */
export function isSearchEventType(type: string): type is SearchEventType {
  return Object.hasOwn(searchEventSchemas, type);
}
