import { z } from 'zod';

/**
 * One evaluator: a trusted scorer command, run in its own sandbox with the task folder (as its
 * working folder) and its data, that runs the candidate through the scoring channel and reports
 * the metric there (see `@hypotree/scorer`). `{task}` in args expands to the task folder, `{seed}`
 * to the run's seed. `timeoutSec` bounds one scorer run, the candidate runs it asks for included.
 */
export const EvaluatorSpecSchema = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  timeoutSec: z.number().positive().default(60),
});

/** The dev evaluator: optionally the data it scores against (a file or folder, relative to the spec; may be inside the artifact). */
export const DevEvaluatorSpecSchema = EvaluatorSpecSchema.extend({
  data: z.string().min(1).optional(),
});

/** A sealed evaluator (gate or test): like dev, plus the data only it may read (outside the artifact). */
export const SealedEvaluatorSpecSchema = EvaluatorSpecSchema.extend({
  sealedData: z.string().min(1),
});

const ParameterBase = {
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an identifier'),
  /**
   * A conditional parameter: it takes effect only when every parameter named here (a choice or a
   * bool declared before it) holds one of the listed values, e.g. a kick size only when there are
   * kicks (`{"perturbation": ["double-bridge", "segment"]}`). Where it is inactive, its value is
   * left at the configuration it came from and two configurations that differ only there are the
   * same experiment (as conditions in ConfigSpace or hyperopt's nested spaces).
   */
  when: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1)).optional(),
};

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
    dev: DevEvaluatorSpecSchema,
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
      /** Writable memory of each sandboxed process (RLIMIT_DATA), MiB. */
      memoryMb: z.number().int().min(64).default(4096),
      /** Processes a sandbox may run at once (enforced by the kernel when hypotree is not root). */
      processes: z.number().int().min(4).default(512),
      /** Size of a sandbox's private /tmp, and the largest file it may write, MiB. */
      scratchMb: z.number().int().min(1).default(512),
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
  /** Absolute path of the dev evaluator's data, when the spec declares it. */
  devData?: string;
  /** Stable hash of the spec (see `specHash`). */
  hash: string;
  /** Hash of the evaluator files: the task folder without the artifact, the sealed data and hypotree's workdir (see `evaluatorHash`). */
  evaluatorHash: string;
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
