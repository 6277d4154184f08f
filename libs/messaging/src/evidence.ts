import { FailureKindSchema, IntegritySchema, RunScoreSchema, TokenUsageSchema } from '@hypotree/events';
import { z } from 'zod';

// The executor's evidence as it travels to the coordinator: built from the catalogue's own
// schemas, so a field means the same on the wire and in the log.

/** The failure kinds an executor may report; `lease-expired` and `cancelled` are the coordinator's alone. */
export const ExecutorFailureKindSchema = FailureKindSchema.exclude(['lease-expired', 'cancelled']);

/** What the experiment changed, relative to its base commit. */
export const DiffStatSchema = z.strictObject({
  files: z.array(z.strictObject({ path: z.string(), insertions: z.number().int(), deletions: z.number().int() })),
  insertions: z.number().int(),
  deletions: z.number().int(),
});

/** The structured result of one experiment, success or failure; failures are evidence too. */
export const ExperimentEvidenceSchema = z.strictObject({
  experimentId: z.string(),
  nodeId: z.string(),
  searchId: z.string(),
  baseCommit: z.string(),
  status: z.enum(['succeeded', 'failed']),
  failure: z.strictObject({ kind: ExecutorFailureKindSchema, detail: z.string() }).optional(),
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
    usage: TokenUsageSchema.optional(),
  }),
  report: z.string(),
  durationMs: z.number().nonnegative(),
  stdoutTail: z.string(),
  stderrTail: z.string(),
  integrity: IntegritySchema,
});

export type ExecutorFailureKind = z.infer<typeof ExecutorFailureKindSchema>;
export type ExperimentEvidence = z.infer<typeof ExperimentEvidenceSchema>;
