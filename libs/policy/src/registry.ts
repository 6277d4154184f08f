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

// Strict at both levels: a misspelt parameter is an error, never silently dropped.
export const PolicyParamsSchema = z.strictObject({
  selection: SelectionParamsSchema.partial().strict().default({}),
  admission: AdmissionParamsSchema.partial().strict().default({}),
  refinement: RefinementParamsSchema.partial().strict().default({}),
});

/** The parameter names each policy accepts. */
export const POLICY_KEYS = {
  selection: Object.keys(SelectionParamsSchema.shape),
  admission: Object.keys(AdmissionParamsSchema.shape),
  refinement: Object.keys(RefinementParamsSchema.shape),
} as const;
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
