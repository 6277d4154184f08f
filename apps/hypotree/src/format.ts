import type { SearchSummary } from '@hypotree/coordinator';

/** The summary as a person reads it at the end of `hypotree run`. */
export function formatSummary(summary: SearchSummary): string {
  const n = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
  const interval = summary.gainInterval === null ? '' : `  95% [${pct(summary.gainInterval.low)}, ${pct(summary.gainInterval.high)}]${summary.gainInterval.withinNoise ? ' — within noise' : ''}`;
  const gain = summary.relativeGain === null ? 'n/a' : `${pct(summary.relativeGain)}${interval}`;
  return [
    ...sandboxWarning(summary),
    `search ${summary.searchId} (${summary.task}, ${summary.direction} ${summary.metric})`,
    `  stopped:         ${summary.stopReason ?? 'not yet'}`,
    `  baseline (0):    dev ${n(summary.baseline.dev)}  test ${n(summary.baseline.test)}`,
    `  best (${summary.best.nodeId}):${' '.repeat(Math.max(1, 9 - summary.best.nodeId.length))}dev ${n(summary.best.dev)}  test ${n(summary.best.test)}  — ${summary.best.title}`,
    `  held-out gain:   ${gain}  (relative, (S*−S0)/|S0|, computed once)`,
    `  experiments:     ${summary.experiments} (${summary.admitted} admitted, ${summary.rejected} rejected, ${summary.failed} failed)`,
    `  gate calls:      ${summary.gateEvaluations}${summary.rejectedForGateBudget > 0 ? ` (${summary.rejectedForGateBudget} improvement(s) rejected: gate budget spent)` : ''}    insights: ${summary.insights}    tokens: ${summary.tokens}`,
    `  sandbox:         ${summary.sandbox}${summary.sandbox === 'allowlist' ? ' (bubblewrap: candidates and scorers each saw only what was bound in)' : ''}`,
    ...(summary.family
      ? [`  test set:        ${summary.family.testScores} held-out score(s) computed ${summary.family.searches === 1 ? 'by this search' : `across its family of ${summary.family.searches} searches (branches and replays reuse scores, never recompute them)`}`]
      : []),
    `  log:             search-${summary.searchId} up to revision ${summary.revision}`,
  ].join('\n');
}

/** A search whose evaluations ran without the allowlist sandbox says so before anything else. */
function sandboxWarning(summary: SearchSummary): string[] {
  if (summary.sandbox === 'allowlist') return [];
  const why = summary.allowUnsandboxed ? ' (--allow-unsandboxed)' : '';
  return [`!! sandbox: ${summary.sandbox}${why} — candidate code ran with this user's view of the machine; a candidate that knows where sealed data is could read it. Install bubblewrap.`];
}
