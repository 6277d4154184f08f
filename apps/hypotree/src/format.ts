import type { SearchSummary } from '@hypotree/coordinator';

/** The summary as a person reads it at the end of `hypotree run`. */
export function formatSummary(summary: SearchSummary): string {
  const n = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const gain = summary.relativeGain === null ? 'n/a' : `${(summary.relativeGain * 100).toFixed(2)}%`;
  return [
    `search ${summary.searchId} (${summary.task}, ${summary.direction} ${summary.metric})`,
    `  stopped:         ${summary.stopReason ?? 'not yet'}`,
    `  baseline (0):    dev ${n(summary.baseline.dev)}  test ${n(summary.baseline.test)}`,
    `  best (${summary.best.nodeId}):${' '.repeat(Math.max(1, 9 - summary.best.nodeId.length))}dev ${n(summary.best.dev)}  test ${n(summary.best.test)}  — ${summary.best.title}`,
    `  held-out gain:   ${gain}  (relative, (S*−S0)/|S0|, computed once)`,
    `  experiments:     ${summary.experiments} (${summary.admitted} admitted, ${summary.rejected} rejected, ${summary.failed} failed)`,
    `  gate calls:      ${summary.gateEvaluations}    insights: ${summary.insights}    tokens: ${summary.tokens}`,
    `  log:             search-${summary.searchId} up to revision ${summary.revision}`,
  ].join('\n');
}
