import type { ParameterValue } from '@hypotree/task';
import type { Insight } from '@hypotree/tree';
import type { InsightClaim } from '../types.js';

/** Whether a value lies in the region a claim speaks about (`above`: strictly greater, `below`: strictly less, `equals`). */
export function inClaimRegion(claim: InsightClaim, value: ParameterValue | undefined): boolean {
  if (value === undefined) return false;
  switch (claim.relation) {
    case 'above':
      return typeof value === 'number' && typeof claim.value === 'number' && value > claim.value;
    case 'below':
      return typeof value === 'number' && typeof claim.value === 'number' && value < claim.value;
    case 'equals':
      return value === claim.value;
  }
}

/** An active insight that carries a machine-readable claim. */
export type ClaimedInsight = Insight & { claim: InsightClaim };

/**
 * The insights of a request that carry claims, split into constraints (hurts, as hard limits: only
 * lessons of kind `constraint`, which rest on gate-verified evidence) and findings (helps). A "hurts"
 * lesson on dev evidence alone limits nothing: dev noise or dev overfitting must not close a region.
 */
export function claimsOf(insights: readonly Insight[]): { hurts: ClaimedInsight[]; helps: ClaimedInsight[] } {
  const claimed = insights.filter((i): i is ClaimedInsight => i.active && i.claim !== undefined);
  return { hurts: claimed.filter((i) => i.claim.outcome === 'hurts' && i.kind === 'constraint'), helps: claimed.filter((i) => i.claim.outcome === 'helps') };
}
