import { z } from 'zod';

/** How an experiment failed. */
export const FailureKindSchema = z.enum(['timeout', 'crash', 'no-metric', 'malformed-output', 'scorer-error', 'implementation-failed', 'refused']);

/** One evaluator run: the seed it got and the metric value it printed. */
export const RunScoreSchema = z.strictObject({
  seed: z.number().int(),
  value: z.number(),
  durationMs: z.number().nonnegative(),
});

/** What the experiment changed, relative to its base commit. */
export const DiffStatSchema = z.strictObject({
  files: z.array(z.strictObject({ path: z.string(), insertions: z.number().int(), deletions: z.number().int() })),
  insertions: z.number().int(),
  deletions: z.number().int(),
});

/**
 * What an evaluation can be trusted for: the sandbox its processes ran in, the hashes of the
 * task spec and evaluator files it ran with, and the paths the candidate changed.
 */
export const IntegritySchema = z.strictObject({
  sandbox: z.enum(['allowlist', 'none']),
  specHash: z.string().min(1),
  evaluatorHash: z.string().min(1),
  changedPaths: z.array(z.string()),
});

/** Token usage of a model call, as reported by the endpoint. */
export const UsageSchema = z.strictObject({ promptTokens: z.number().int(), completionTokens: z.number().int() });

/** The structured result of one experiment, success or failure; failures are evidence too. */
export const ExperimentEvidenceSchema = z.strictObject({
  experimentId: z.string(),
  nodeId: z.string(),
  searchId: z.string(),
  baseCommit: z.string(),
  status: z.enum(['succeeded', 'failed']),
  failure: z.strictObject({ kind: FailureKindSchema, detail: z.string() }).optional(),
  refusals: z.array(z.strictObject({ path: z.string(), reason: z.string() })).default([]),
  /** Mean of the per-run metric values (raw metric, see the task's objective for its direction). */
  devScore: z.number().optional(),
  runs: z.array(RunScoreSchema),
  commit: z.string().optional(),
  ref: z.string().optional(),
  diff: DiffStatSchema.optional(),
  implementation: z.strictObject({
    implementer: z.string(),
    summary: z.string(),
    attempts: z.number().int().min(0),
    model: z.string().optional(),
    usage: UsageSchema.optional(),
  }),
  report: z.string(),
  durationMs: z.number().nonnegative(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  integrity: IntegritySchema,
});

export type FailureKind = z.infer<typeof FailureKindSchema>;
export type Integrity = z.infer<typeof IntegritySchema>;
export type RunScore = z.infer<typeof RunScoreSchema>;
export type Usage = z.infer<typeof UsageSchema>;
export type ExperimentEvidence = z.infer<typeof ExperimentEvidenceSchema>;
