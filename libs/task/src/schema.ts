import { z } from 'zod';

/** One evaluator: a command run with the experiment's worktree as cwd. `{task}` in args expands to the task folder. */
export const EvaluatorSpecSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  timeoutSec: z.number().positive().default(60),
});

/** A sealed evaluator (gate or test): like dev, plus the data only it may read. */
export const SealedEvaluatorSpecSchema = EvaluatorSpecSchema.extend({
  sealedData: z.string().min(1),
});

const ParameterBase = { name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an identifier') };

/** One dimension of the declared parameter space. */
export const ParameterSchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...ParameterBase,
    type: z.literal('float'),
    min: z.number(),
    max: z.number(),
    log: z.boolean().default(false),
    default: z.number(),
  }),
  z.strictObject({
    ...ParameterBase,
    type: z.literal('int'),
    min: z.number().int(),
    max: z.number().int(),
    log: z.boolean().default(false),
    default: z.number().int(),
  }),
  z.strictObject({
    ...ParameterBase,
    type: z.literal('choice'),
    choices: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
    default: z.union([z.string(), z.number(), z.boolean()]),
  }),
  z.strictObject({ ...ParameterBase, type: z.literal('bool'), default: z.boolean() }),
]);

/** The task spec as written in `hypotree.task.json` (paths relative to that file). */
export const TaskSpecSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes'),
  description: z.string().default(''),
  repo: z.string().min(1),
  baseCommit: z.string().regex(/^[0-9a-f]{7,40}$/, 'must be a commit sha').optional(),
  allowedPaths: z.array(z.string().min(1)).min(1),
  setup: z.strictObject({ command: z.string().min(1), args: z.array(z.string()).default([]), timeoutSec: z.number().positive().default(300) }).optional(),
  evaluators: z.strictObject({
    dev: EvaluatorSpecSchema,
    gate: SealedEvaluatorSpecSchema,
    test: SealedEvaluatorSpecSchema,
  }),
  objective: z.strictObject({
    metric: z.string().min(1),
    direction: z.enum(['maximize', 'minimize']),
  }),
  budgets: z
    .strictObject({
      experimentTimeoutSec: z.number().positive().default(600),
      outputCapBytes: z.number().int().positive().default(1_000_000),
      repeats: z.number().int().min(1).max(100).default(1),
    })
    .prefault({}),
  parameters: z
    .strictObject({
      file: z.string().min(1),
      space: z.array(ParameterSchema).min(1),
    })
    .optional(),
});

export type EvaluatorSpec = z.infer<typeof EvaluatorSpecSchema>;
export type SealedEvaluatorSpec = z.infer<typeof SealedEvaluatorSpecSchema>;
export type Parameter = z.infer<typeof ParameterSchema>;
export type ParameterValue = string | number | boolean;
export type TaskSpec = z.infer<typeof TaskSpecSchema>;
export type Objective = TaskSpec['objective'];

/** A loaded task: the validated spec plus absolute paths resolved against the spec file. */
export interface Task {
  spec: TaskSpec;
  /** Absolute path of the spec file. */
  specPath: string;
  /** Absolute path of the folder holding the spec file. */
  dir: string;
  /** Absolute path of the artifact (a plain folder or a git repository). */
  repo: string;
  /** Absolute sealed-data paths, outside the artifact. */
  sealed: { gate: string; test: string };
  /** Stable hash of the spec (see `specHash`). */
  hash: string;
}

/** The concrete change a hypothesis asks for: a parameter assignment or free-form instructions. */
export const HypothesisChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('params'), set: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])) }),
  z.strictObject({ kind: z.literal('freeform'), instructions: z.string().min(1) }),
]);

/** A hypothesis as implementers receive it: the claim is fixed, only its implementation may be fixed up. */
export const HypothesisSchema = z.strictObject({
  title: z.string().min(1),
  mechanism: z.string(),
  prediction: z.string(),
  change: HypothesisChangeSchema,
});

export type HypothesisChange = z.infer<typeof HypothesisChangeSchema>;
export type Hypothesis = z.infer<typeof HypothesisSchema>;
