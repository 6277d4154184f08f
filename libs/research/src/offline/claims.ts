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
 * The insights of a request that carry claims, split three ways:
 * - `hurts`: hard limits. Only lessons of kind `constraint` (gate-verified) that name a cause:
 *   a dev-only "hurt" may be dev noise or dev overfitting, and a correlation may belong to another
 *   parameter that moved at the same time.
 * - `helps`: findings that name a cause (one-factor evidence, or a single admitted change).
 * - `hints`: correlations either way; a proposer may lean on them a little, never be bound by them.
 */
export function claimsOf(insights: readonly Insight[]): { hurts: ClaimedInsight[]; helps: ClaimedInsight[]; hints: ClaimedInsight[] } {
  const claimed = insights.filter((i): i is ClaimedInsight => i.active && i.claim !== undefined);
  const causal = (i: ClaimedInsight) => i.claim.isolation !== 'correlation';
  return {
    hurts: claimed.filter((i) => causal(i) && i.claim.outcome === 'hurts' && i.kind === 'constraint'),
    helps: claimed.filter((i) => causal(i) && i.claim.outcome === 'helps'),
    hints: claimed.filter((i) => !causal(i)),
  };
}
