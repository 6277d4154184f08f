import { HypothesisChangeSchema, InsightDraftSchema, issueList, ModelCallSchema, NodeIdSchema } from '@hypotree/events';
import { ExperimentEvidenceSchema } from './evidence.js';
import { RefusedMessage } from './auth/envelope.js';
import { TaskSpecSchema } from '@hypotree/task';
import { z } from 'zod';

// The message contracts between the coordinator, executors and distillers. The same contracts
// travel over the in-process transport (embedded mode) and over NATS (distributed mode).

/** Message patterns (NATS subjects). */
export const Patterns = {
  dispatchExperiment: 'hypotree.experiment.dispatch',
  experimentStarted: 'hypotree.experiment.started',
  experimentHeartbeat: 'hypotree.experiment.heartbeat',
  experimentResult: 'hypotree.experiment.result',
  distill: 'hypotree.insight.distill',
} as const;

/** The queue group executors join, so each experiment goes to exactly one of them. */
export const EXECUTOR_QUEUE = 'hypotree-executors';
/** The queue group distillers join. */
export const DISTILLER_QUEUE = 'hypotree-distillers';

/** How an executor turns the hypothesis into a commit. */
export const ImplementerConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('params') }),
  z.object({
    kind: z.literal('agent'),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    /** Host paths the agent needs (its own install, its config), bound read-only at the same paths into its sandbox. */
    binds: z.array(z.string().startsWith('/', 'must be an absolute path')).default([]),
    /** The one model endpoint the agent may reach (http or https URL); absent: no network at all. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
  }),
  z.object({ kind: z.literal('llm'), model: z.string().min(1), baseURL: z.string().url().optional(), maxAttempts: z.number().int().positive().default(3) }),
]);
export type ImplementerConfig = z.infer<typeof ImplementerConfigSchema>;

/** Coordinator → one executor: test this hypothesis on top of this commit. */
export const DispatchExperimentSchema = z.object({
  searchId: z.string().min(1),
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  attempt: z.number().int().positive(),
  baseCommit: z.string().min(1),
  leaseMs: z.number().int().positive(),
  /** Absolute path of the task spec, as the coordinator loaded it. */
  taskSpec: z.string().min(1),
  /** hypotree's working folder (artifact repo, worktrees). */
  workdir: z.string().min(1),
  hypothesis: z.object({ title: z.string().min(1), mechanism: z.string(), prediction: z.string(), change: HypothesisChangeSchema }),
  implementer: ImplementerConfigSchema,
  /** The search lets code-writing implementers run where there is no sandbox (`--allow-unsandboxed`). */
  allowUnsandboxed: z.boolean().default(false),
  /** On a secured bus: the coordinator's fresh value for this dispatch, which every report about it echoes. */
  nonce: z.string().min(1).max(64).optional(),
  /**
   * Executors without a shared filesystem: the task travels as a bundle in the artifact object
   * store (named by its SHA-256), commits as git bundles (`commit/<sha>`); `taskSpec` and `workdir`
   * are then the coordinator's paths, for messages only.
   */
  transfer: z.strictObject({ task: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
});
export type DispatchExperiment = z.infer<typeof DispatchExperimentSchema>;

/** Executor → coordinator: I took the experiment. */
export const ExperimentStartedMessageSchema = z.object({
  searchId: z.string().min(1),
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  executorId: z.string().min(1),
  /** The nonce of the dispatch this reports on (a secured bus requires it). */
  nonce: z.string().min(1).max(64).optional(),
  /** From the JetStream work queue: which delivery of the dispatch this executor took (a later one takes over from an executor that went silent). */
  delivery: z.number().int().positive().optional(),
});
export type ExperimentStartedMessage = z.infer<typeof ExperimentStartedMessageSchema>;

/** Executor → coordinator: still working (extends the lease). */
export const ExperimentHeartbeatSchema = ExperimentStartedMessageSchema;
export type ExperimentHeartbeat = ExperimentStartedMessage;

/** Executor → coordinator: the evidence, success or failure. */
export const ExperimentResultMessageSchema = z.object({
  searchId: z.string().min(1),
  experimentId: z.string().min(1),
  nodeId: NodeIdSchema,
  executorId: z.string().min(1),
  /** The nonce of the dispatch this reports on (a secured bus requires it). */
  nonce: z.string().min(1).max(64).optional(),
  delivery: z.number().int().positive().optional(),
  evidence: ExperimentEvidenceSchema,
});
export type ExperimentResultMessage = z.infer<typeof ExperimentResultMessageSchema>;

/** Coordinator → distiller: draw lessons from the search as it stood at `revision`, after `nodeId` was decided. */
export const DistillRequestSchema = z.object({
  searchId: z.string().min(1),
  nodeId: NodeIdSchema,
  revision: z.number().int().nonnegative(),
  /** On a secured bus: the request's nonce, which the reply echoes. */
  nonce: z.string().min(1).max(64).optional(),
  /**
   * The task's spec, for distillers that share no filesystem with the coordinator (instead of
   * reading the spec file the search started from); it must hash to the search's recorded spec hash.
   */
  spec: TaskSpecSchema.optional(),
});
export type DistillRequestMessage = z.infer<typeof DistillRequestSchema>;

/** Distiller → coordinator: the lessons; the coordinator appends them (it is the single writer). */
export const DistillReplySchema = z.object({
  drafts: z.array(InsightDraftSchema),
  /** The model calls behind the drafts (an LLM distiller), recorded by the coordinator as the log's cache of replies. */
  modelCalls: z.array(ModelCallSchema).optional(),
  /** On a secured bus: the nonce of the request this answers (the whole reply, model calls included, is signed). */
  nonce: z.string().min(1).max(64).optional(),
});
export type DistillReply = z.infer<typeof DistillReplySchema>;

/** A message that does not match its contract; it is rejected with this reason and changes no state. */
export class MessageRejectedError extends Error {
  constructor(
    readonly pattern: string,
    readonly problems: string[],
  ) {
    super(`rejected ${pattern}: ${problems.join('; ')}`);
    this.name = 'MessageRejectedError';
  }
}

/** Validates a message against its contract; throws MessageRejectedError naming every bad field. */
export function parseMessage<S extends z.ZodType>(schema: S, pattern: string, data: unknown): z.infer<S> {
  if (data instanceof RefusedMessage) throw new MessageRejectedError(pattern, [data.reason]);
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new MessageRejectedError(pattern, issueList(parsed.error, { root: '(message)' }));
  }
  return parsed.data;
}
