import { z } from 'zod';
import { issueText } from '@hypotree/events';
import { admissionPolicy, AdmissionParamsSchema } from './admission.js';
import { refinementPolicy, RefinementParamsSchema } from './refinement.js';
import { selectionPolicy, SelectionParamsSchema } from './selection.js';

/** The three decision policies a search runs with. */
export interface PolicySet {
  selection: ReturnType<typeof selectionPolicy>;
  admission: ReturnType<typeof admissionPolicy>;
  refinement: ReturnType<typeof refinementPolicy>;
}

export const PolicyParamsSchema = z.object({
  selection: SelectionParamsSchema.partial().default({}),
  admission: AdmissionParamsSchema.partial().default({}),
  refinement: RefinementParamsSchema.partial().default({}),
});
export type PolicyParams = z.input<typeof PolicyParamsSchema>;

/** Builds the policy set from (possibly partial) parameters; unknown or bad parameters are one clear error. */
export function buildPolicies(params: PolicyParams = {}): PolicySet {
  const parsed = PolicyParamsSchema.strict().safeParse(params);
  if (!parsed.success) {
    const problems = issueText(parsed.error);
    throw new Error(`invalid policy parameters: ${problems}`);
  }
  return {
    selection: selectionPolicy(parsed.data.selection),
    admission: admissionPolicy(parsed.data.admission),
    refinement: refinementPolicy(parsed.data.refinement),
  };
}
