import type { FamilySpend } from '@hypotree/search';
import type { EventRef, Explanation, ExplainedRuns } from '@hypotree/tree';

const num = (v: number) => (Math.abs(v) >= 1e-3 || v === 0 ? Number(v.toPrecision(5)).toString() : v.toExponential(3));
const ev = (e: EventRef) => `[${e.type}@${e.revision} ${e.id.slice(0, 8)}]`;

function runsLine(r: ExplainedRuns): string {
  const seeds = r.runs.map((x) => `seed ${x.seed}: ${num(x.value)}`).join(', ');
  return `mean ${num(r.mean)} ± ${num(r.stdev)} (sd) over ${r.runs.length} run${r.runs.length === 1 ? '' : 's'}${r.sandbox ? `, sandbox ${r.sandbox}` : ''} ${ev(r.event)}\n      ${seeds}`;
}

/** An explanation as one screen of text, in causal order: proposal, attempts, dev, gate, decision, insights, code. */
export function formatExplanation(x: Explanation & { family?: FamilySpend }): string {
  const out: string[] = [];
  const head = `node ${x.nodeId} of search ${x.searchId}: ${x.status}${x.pruned ? ', pruned' : ''}${x.best ? '  ★ the best node' : ''}`;
  out.push(head, '');
  if (x.proposal) {
    const p = x.proposal;
    const producer = [p.proposer.kind, p.proposer.model, p.proposer.promptHash ? `prompt ${p.proposer.promptHash.slice(0, 12)}` : undefined].filter(Boolean).join(', ');
    out.push(`1. proposed under ${p.parentEvidence.nodeId} by ${producer} ${ev(p.event)}`);
    out.push(`   ${p.title}`);
    out.push(`   mechanism:  ${p.mechanism}`);
    out.push(`   prediction: ${p.prediction}`);
    out.push(`   change:     ${JSON.stringify(p.change)}`);
    const parent = [p.parentEvidence.dev === undefined ? undefined : `dev ${num(p.parentEvidence.dev)}`, p.parentEvidence.gate === undefined ? undefined : `gate ${num(p.parentEvidence.gate)}`].filter(Boolean);
    out.push(`   parent ${p.parentEvidence.nodeId} then: ${parent.length ? parent.join(', ') : 'not yet scored'}`);
    if (p.insightsConsidered.length === 0) out.push('   insights shown: none');
    for (const i of p.insightsConsidered) out.push(`   insight shown: ${i.id}${i.kind ? ` (${i.kind})` : ''}${i.text ? `: ${i.text}` : ' (not in the log)'}`);
    for (const id of p.insightsRelaxed) out.push(`   insight relaxed: ${id} (nothing new was left to try with it in force)`);
  } else {
    out.push('1. the root: the task\'s artifact as it was, the baseline every node is measured against');
  }
  if (x.attempts.length > 0) {
    out.push('2. attempts');
    for (const a of x.attempts) out.push(`   ${a.experimentId}: dispatched ${a.dispatchedAt}, lease ${a.leaseMs} ms, executor ${a.executorId ?? '(none reported)'} → ${a.outcome}${a.failure ? `\n      ${a.failure.detail.split('\n')[0]}` : ''}`);
  }
  if (x.dev) {
    out.push(`3. dev: ${runsLine(x.dev)}`);
    for (const r of x.dev.repeats) out.push(`   more runs: ${r.summary} ${ev(r)}`);
  }
  if (x.gate) out.push('failed' in x.gate ? `4. gate: FAILED (${x.gate.failed.kind}) ${ev(x.gate.event)}: ${x.gate.failed.detail.split('\n')[0]}` : `4. gate: ${runsLine(x.gate)}`);
  x.gateLooks?.forEach((look, i) => out.push(`   look ${i + 1}: ${look.summary} ${ev(look)}`));
  if (x.decision) {
    const d = x.decision;
    out.push(`5. ${d.outcome} by ${d.policy.name} v${d.policy.version}, rule ${d.rule} ${ev(d.event)}`);
    out.push(`   ${d.reason}`);
    out.push(`   deltas: ${Object.entries(d.deltas).map(([k, v]) => `${k} ${num(v)}`).join(', ')}`);
    out.push(`   policy: ${JSON.stringify(d.policy.params)}`);
    for (const e of d.evidence) out.push(`   evidence ${ev(e)}: ${e.summary}`);
  }
  if (x.pruned) out.push(`   pruned by ${x.pruned.policy.name} v${x.pruned.policy.version}, rule ${x.pruned.rule} ${ev(x.pruned.event)}: ${x.pruned.reason}`);
  if (x.insights.length > 0) {
    out.push('6. insights');
    for (const i of x.insights) out.push(`   ${i.id} (${i.kind}, ${i.scope}${i.active ? '' : `, superseded${i.supersededBy ? ` by ${i.supersededBy}` : ''}`}): ${i.text}`);
  }
  if (x.code) {
    out.push(`7. code: commit ${x.code.commit}${x.code.ref ? ` on ${x.code.ref}` : ' (the base commit)'}${x.code.baseCommit ? `, from ${x.code.baseCommit.slice(0, 12)}` : ''}`);
    if (x.code.ref) out.push(`   ${x.code.filesChanged.length} file(s) changed, +${x.code.insertions} −${x.code.deletions}: ${x.code.filesChanged.join(', ') || '(none)'}  (hypotree diff ${x.searchId} ${x.nodeId})`);
  }
  if (x.finalTest) {
    const f = x.finalTest;
    out.push(`held-out test ${ev(f.event)}: baseline ${num(f.baseline)}, best ${f.bestNodeId} ${num(f.best)}, relative gain ${(f.relativeGain * 100).toFixed(2)}%${f.interval ? ` (95% [${(f.interval[0] * 100).toFixed(2)}%, ${(f.interval[1] * 100).toFixed(2)}%]${f.withinNoise ? ', within noise' : ''})` : ''}`);
  }
  if (x.family) {
    const f = x.family;
    out.push(`test set: ${f.testScores} held-out score(s) computed across this search's family of ${f.searches} search${f.searches === 1 ? '' : 'es'}; it paid for ${f.experiments} experiments and ${f.gateEvaluations} sealed gate calls`);
  }
  return out.join('\n');
}
