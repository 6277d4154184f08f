import type { ComparedSearch, FamilySpend, NodeOutcome, SearchComparison } from '@hypotree/search';
import type { ReplayReport } from './replay.js';

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

function heldOut(s: ComparedSearch): string {
  if (!s.heldOut) return `not tested (${s.status})`;
  const { gain, low, high, withinNoise } = s.heldOut;
  return `${pct(gain)}${low === undefined ? '' : ` 95% [${pct(low)}, ${pct(high!)}]`}${withinNoise ? ' — within noise' : ''}`;
}

function cost(s: ComparedSearch): string {
  const c = s.cost;
  const reused = (n: number, of: number) => (n > 0 ? ` (${n === of ? 'all' : n} reused)` : '');
  return [
    `${c.experiments} experiments${reused(c.experimentsReused, c.experiments)}`,
    `${c.gateEvaluations} gate calls${reused(c.gateEvaluationsReused, c.gateEvaluations)}`,
    `${c.modelCalls} model calls${reused(c.modelCallsReused, c.modelCalls)}`,
    `${c.tokens} tokens${c.tokensReused > 0 ? ` (${c.tokensReused} reused)` : ''}`,
    `${c.testScores} test scores${reused(c.testScoresReused, c.testScores)}`,
  ].join(', ');
}

const outcome = (o: NodeOutcome) => `${o.outcome}${o.rule ? ` (${o.rule})` : ''}${o.pruned ? `, pruned (${o.pruned.split(':')[0]})` : ''}`;

/** Two searches side by side, as a person reads them. */
export function formatComparison(c: SearchComparison): string {
  const lines = [
    `${'search'.padEnd(12)} A: ${c.a.searchId}`,
    `${''.padEnd(12)} B: ${c.b.searchId}`,
    `best         A: ${c.a.bestNodeId} ${c.a.bestTitle}`,
    `             B: ${c.b.bestNodeId} ${c.b.bestTitle}`,
    `held-out     A: ${heldOut(c.a)}`,
    `             B: ${heldOut(c.b)}`,
    `cost         A: ${cost(c.a)}`,
    `             B: ${cost(c.b)}`,
    '',
    c.identical ? 'decisions: identical, decision for decision' : `decisions: ${c.same} nodes the same, ${c.changed.length} changed, ${c.onlyInA.length} only in A, ${c.onlyInB.length} only in B`,
  ];
  for (const { a, b } of c.changed) {
    lines.push(`  ~ ${a.title}  [A ${a.nodeId} / B ${b.nodeId}]`, `      A: ${outcome(a)}${a.reason ? ` — ${a.reason}` : ''}`, `      B: ${outcome(b)}${b.reason ? ` — ${b.reason}` : ''}`);
  }
  for (const n of c.onlyInA) lines.push(`  - A only ${n.nodeId.padEnd(7)} ${outcome(n).padEnd(30)} ${n.title}`);
  for (const n of c.onlyInB) lines.push(`  + B only ${n.nodeId.padEnd(7)} ${outcome(n).padEnd(30)} ${n.title}${n.reusedFrom ? `  (reused from ${n.reusedFrom})` : ''}`);
  return lines.join('\n');
}

/** What the family has paid for, in one line. */
export function formatFamily(f: FamilySpend): string {
  return `family (${f.searches} searches) paid for: ${f.experiments} experiments, ${f.gateEvaluations} sealed gate calls, ${f.testScores} held-out test scores, ${f.modelCalls} model calls (${f.modelTokens} tokens)`;
}

/** A replay's report, as a person reads it. */
export function formatReplay(r: ReplayReport): string {
  const head = r.finished ? `replay ${r.replayId} of ${r.sourceId}: finished` : `replay ${r.replayId} of ${r.sourceId}: stopped`;
  const lines = [head];
  if (r.stopped) {
    const { atMost } = r.stopped;
    lines.push(
      `  the family never ran this ${r.stopped.need}: ${r.stopped.detail}`,
      `  to go on, at most ${atMost.experiments} experiments, ${atMost.gateEvaluations} gate calls${atMost.modelCalls === null ? '' : ` and ${atMost.modelCalls} model calls`} (the budget left)`,
    );
  }
  if (r.resume) lines.push(`  continue it for real with: ${r.resume}`);
  lines.push('', formatComparison(r.comparison), '', formatFamily(r.family));
  return lines.join('\n');
}
