import { z } from 'zod';

/** Dotted node id: `0` is the root (the baseline artifact), `1`, `2`, … its children, `1.2.3` a grandchild of `1.2`. */
export const NodeIdSchema = z.string().regex(/^0$|^[1-9]\d*(\.[1-9]\d*)*$/, 'a dotted node id like 0, 1 or 1.2.3');
export type NodeId = z.infer<typeof NodeIdSchema>;

export const ROOT_NODE_ID: NodeId = '0';

/** Whether a larger or a smaller metric value is better. */
export const DirectionSchema = z.enum(['maximize', 'minimize']);
export type Direction = z.infer<typeof DirectionSchema>;

export const ObjectiveSchema = z.object({ metric: z.string().min(1), direction: DirectionSchema });
export type Objective = z.infer<typeof ObjectiveSchema>;

/** A versioned reference to a decision policy and the parameters it ran with. */
export const PolicyRefSchema = z.object({
  name: z.string().min(1),
  version: z.number().int().positive(),
  params: z.record(z.string(), z.unknown()),
});
export type PolicyRef = z.infer<typeof PolicyRefSchema>;

export const ParamValueSchema = z.union([z.number(), z.string(), z.boolean()]);
export type ParamValue = z.infer<typeof ParamValueSchema>;

/** The concrete change a hypothesis claims: a structured parameter change or free-form instructions. */
export const HypothesisChangeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('params'), set: z.record(z.string(), ParamValueSchema) }),
  z.object({ kind: z.literal('freeform'), instructions: z.string().min(1) }),
]);
export type HypothesisChange = z.infer<typeof HypothesisChangeSchema>;

export const TokenUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/**
 * Where reused evidence comes from: an event of a search in the same family (a search, its branches
 * and its replays), already paid for. A replay records it on every measurement it did not make again.
 */
export const ReuseSourceSchema = z.object({ searchId: z.string().min(1), eventId: z.string().min(1) });
export type ReuseSource = z.infer<typeof ReuseSourceSchema>;

/**
 * One model call as it was answered (the accepted reply of a proposer's or a distiller's request):
 * recorded so the log works as a cache of model replies, keyed by the model asked for and the
 * prompt's hash. A replay that builds the same prompt reuses the reply instead of calling again.
 */
export const ModelCallSchema = z.object({
  purpose: z.enum(['propose', 'distill']),
  /** The model asked for (the cache key); `servedBy` when the endpoint named another. */
  model: z.string().min(1),
  servedBy: z.string().optional(),
  promptHash: z.string().min(1),
  /** The content of the reply that was accepted (after at most one retry). */
  reply: z.string(),
  usage: TokenUsageSchema,
  attempts: z.number().int().positive(),
  /** Set when the reply was taken from an earlier call of the family (no tokens were spent on it again). */
  reusedFrom: ReuseSourceSchema.optional(),
});
export type ModelCall = z.infer<typeof ModelCallSchema>;

/** Who produced a proposal or an insight: an offline algorithm or a model (with the prompt's hash and the tokens spent). */
export const ProducerRefSchema = z.object({
  kind: z.string().min(1),
  model: z.string().optional(),
  promptHash: z.string().optional(),
  usage: TokenUsageSchema.optional(),
});
export type ProducerRef = z.infer<typeof ProducerRefSchema>;

/** One evaluator run: the seed it used and the metric value it printed. */
export const RunScoreSchema = z.object({
  seed: z.number().int(),
  value: z.number(),
  durationMs: z.number().nonnegative().optional(),
});
export type RunScore = z.infer<typeof RunScoreSchema>;

export const FailureKindSchema = z.enum([
  'timeout',
  'crash',
  'no-metric',
  'malformed-output',
  'scorer-error',
  'implementation-failed',
  'refused',
  'lease-expired',
  'cancelled',
]);
export type FailureKind = z.infer<typeof FailureKindSchema>;
