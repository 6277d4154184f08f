// Admission under noise, dev-overfitting and a small real effect, over many seeded synthetic
// searches: the calibrated policy (the default) against the first one (the fixed test, sigmas=1,
// gateMargin=0, the final best chosen on dev), at equal budget. Each search: a baseline (4 dev and
// 4 gate runs), then 24 candidates under the root (2 dev runs, more when the calibrated policy asks
// for them; 2 gate runs when dev clears; 12 gate calls in all). Run after `npm run build`:  node bench/admission.mjs [searches=200]
import { admissionPolicy } from '@hypotree/policy';
import { bestAdmitted, bestVerified, fold } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';

const SEARCHES = Number(process.argv[2] ?? 200);
const CANDIDATES = 24;
const GATE_BUDGET = 12;
const SD = 0.01;

function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()), uniform };
}

/** One search; `kindOf(i, uniform)` gives candidate i's true effects { dev, gate, kind }. */
function search(seed, policy, chooseBest, kindOf) {
  const { normal, uniform } = gaussian(seed);
  const runs = (n, shift) => Array.from({ length: n }, (_, s) => ({ seed: s, value: 0.8 + shift + SD * normal() }));
  const s = new EventScript(`s${seed}`);
  s.start({ budget: { experiments: CANDIDATES, parallel: 1, gateEvaluations: GATE_BUDGET } });
  s.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: runs(4, 0) } });
  s.add({ type: 'GateEvaluated', data: { nodeId: '0', commit: 'c0', runs: runs(4, 0), gateEvaluationsUsed: 1 } });
  let gateCalls = 1;
  const kinds = new Map();
  for (let i = 1; i <= CANDIDATES; i += 1) {
    const id = String(i);
    const truth = kindOf(i, uniform);
    kinds.set(id, truth.kind);
    s.propose(id, '0', { x: i });
    s.succeed(id, runs(2, truth.dev).map((r) => r.value));
    let decision = policy.decide(fold(s.events), id);
    let seed = 2;
    while (decision.action === 'repeat') {
      const more = runs(decision.runs, truth.dev).map((r) => ({ ...r, seed: seed++ }));
      s.add({ type: 'ExperimentRepeated', data: { nodeId: id, commit: `commit-${id}`, runs: more } });
      decision = policy.decide(fold(s.events), id);
    }
    if (decision.action === 'gate') {
      gateCalls += 1;
      s.add({ type: 'GateEvaluated', data: { nodeId: id, commit: `commit-${id}`, runs: runs(2, truth.gate), gateEvaluationsUsed: gateCalls } });
      decision = policy.decide(fold(s.events), id);
    }
    s.decide(id, decision.action === 'admit', decision.rule);
  }
  const tree = fold(s.events);
  const admitted = [...tree.nodes.values()].filter((n) => n.id !== '0' && n.status === 'admitted');
  const best = chooseBest(tree);
  return { admitted: admitted.map((n) => kinds.get(n.id)), best: best && best.id !== '0' ? kinds.get(best.id) : 'baseline' };
}

const scenarios = {
  noise: () => ({ dev: 0, gate: 0, kind: 'null' }),
  overfit: (_i, uniform) => {
    const u = uniform();
    return u < 1 / 3 ? { dev: 0.04, gate: 0, kind: 'trap' } : u < 2 / 3 ? { dev: 0.02, gate: 0.02, kind: 'honest' } : { dev: 0, gate: 0, kind: 'null' };
  },
  power: () => ({ dev: 0.02, gate: 0.02, kind: 'honest' }),
};

const arms = {
  'calibrated (default)': { policy: admissionPolicy(), best: bestVerified },
  'fixed (sigmas=1, gateMargin=0, best on dev)': { policy: admissionPolicy({ test: 'fixed', sigmas: 1, gateMargin: 0 }), best: bestAdmitted },
};

const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(`${SEARCHES} searches per cell, ${CANDIDATES} candidates and ${GATE_BUDGET} gate calls each, noise sd ${SD}, alpha 0.05`);
for (const [name, arm] of Object.entries(arms)) {
  const rows = {};
  for (const [scenario, kindOf] of Object.entries(scenarios)) rows[scenario] = Array.from({ length: SEARCHES }, (_, i) => search(i + 1, arm.policy, arm.best, kindOf));
  const falseSearches = rows.noise.filter((r) => r.admitted.length > 0).length / SEARCHES;
  const falseCandidates = rows.noise.reduce((a, r) => a + r.admitted.length, 0) / (SEARCHES * CANDIDATES);
  const trapPass = rows.overfit.filter((r) => r.best !== 'trap').length / SEARCHES;
  const trapAdmissions = rows.overfit.reduce((a, r) => a + r.admitted.filter((k) => k === 'trap').length, 0) / SEARCHES;
  const power = rows.power.filter((r) => r.admitted.length > 0).length / SEARCHES;
  const powerCandidates = rows.power.reduce((a, r) => a + r.admitted.length, 0) / SEARCHES;
  console.log(`\n${name}`);
  console.log(`  noise:   searches with a false admission ${pct(falseSearches)}, candidates falsely admitted ${pct(falseCandidates)}`);
  console.log(`  overfit: final best free of the dev-only trap in ${pct(trapPass)} of searches; trap admissions per search ${trapAdmissions.toFixed(2)}`);
  console.log(`  power:   a real +2σ effect admitted in ${pct(power)} of searches; ${powerCandidates.toFixed(2)} of ${CANDIDATES} candidates admitted per search`);
}
