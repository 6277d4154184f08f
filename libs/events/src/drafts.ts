import { z } from 'zod';
import { HypothesisProposedSchema, InsightDistilledSchema } from './catalogue.js';

// Shapes that become events once the coordinator places them: derived from the catalogue, so a
// proposer's or a distiller's output cannot drift from what the log records.

/** A proposed hypothesis before the coordinator numbers it under its parent (HypothesisProposed without node ids). */
export const ProposalSchema = HypothesisProposedSchema.omit({ nodeId: true, parentId: true });

/** A distiller's lesson before it is recorded: InsightDistilled plus the active insights it replaces. */
export const InsightDraftSchema = InsightDistilledSchema.extend({
  supersedes: z.array(z.string()),
  /** Why the superseded insights no longer apply (default: a newer lesson with more evidence). */
  supersedeReason: z.string().min(1).optional(),
});

export type Proposal = z.infer<typeof ProposalSchema>;
export type InsightDraft = z.infer<typeof InsightDraftSchema>;
