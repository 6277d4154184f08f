// Admission under noise, dev-overfitting and a small real effect, over many seeded synthetic
// searches: the calibrated policy (the default) against the first one (the fixed test, sigmas=1,
// gateMargin=0, the final best chosen on dev), and the calibrated policy with the gate runs of
// admission before version 5, and with a second gate look for a near miss (gateExtend=8), at equal budget. Each search: a baseline (4 dev runs; 8 gate runs,
// 4 before version 5), then 24 candidates under the root (2 dev runs, more when the calibrated policy
// asks for them; 4 gate runs when dev clears, 2 before version 5; 12 gate calls in all). Run after `npm run build`:  node bench/admission.mjs [searches=200]
import { admissionPolicy } from '@hypotree/policy';
import { admittedKinds, simulateSearch } from '@hypotree/policy/testing';
import { bestAdmitted, bestVerified } from '@hypotree/tree';

const SEARCHES = Number(process.argv[2] ?? 200);
const CANDIDATES = 24;
const GATE_BUDGET = 12;
const SD = 0.01;

/** One search under an arm: the kinds it admitted and the kind of its final best. */
function search(seed, arm, candidateOf) {
  const result = simulateSearch(seed, arm.policy, candidateOf, { candidates: CANDIDATES, gateBudget: GATE_BUDGET, sd: SD });
  const best = arm.best(result.tree);
  return { admitted: admittedKinds(result), best: best && best.id !== '0' ? result.kinds.get(best.id) : 'baseline' };
}

const scenarios = {
  noise: () => ({ dev: 0, gate: 0, kind: 'null' }),
  overfit: (_i, uniform) => {
    const u = uniform();
    return u < 1 / 3 ? { dev: 0.04, gate: 0, kind: 'trap' } : u < 2 / 3 ? { dev: 0.02, gate: 0.02, kind: 'honest' } : { dev: 0, gate: 0, kind: 'null' };
  },
  power: () => ({ dev: 0.02, gate: 0.02, kind: 'honest' }),
  weak: () => ({ dev: 0.01, gate: 0.01, kind: 'honest' }),
};

const arms = {
  'calibrated (default)': { policy: admissionPolicy(), best: bestVerified },
  'calibrated, gate runs as before version 5 (gateRuns=0: 2, the baseline 4)': { policy: admissionPolicy({ gateRuns: 0 }), best: bestVerified },
  'calibrated, a second gate look for a near miss (gateExtend=8)': { policy: admissionPolicy({ gateExtend: 8 }), best: bestVerified },
  'fixed (sigmas=1, gateMargin=0, best on dev)': { policy: admissionPolicy({ test: 'fixed', sigmas: 1, gateMargin: 0, gateScarcity: 0, gateRuns: 0 }), best: bestAdmitted },
};

const pct = (x) => `${(100 * x).toFixed(1)}%`;
console.log(`${SEARCHES} searches per cell, ${CANDIDATES} candidates and ${GATE_BUDGET} gate calls each, noise sd ${SD}, alpha 0.05`);
for (const [name, arm] of Object.entries(arms)) {
  const rows = {};
  for (const [scenario, kindOf] of Object.entries(scenarios)) rows[scenario] = Array.from({ length: SEARCHES }, (_, i) => search(i + 1, arm, kindOf));
  const falseSearches = rows.noise.filter((r) => r.admitted.length > 0).length / SEARCHES;
  const falseCandidates = rows.noise.reduce((a, r) => a + r.admitted.length, 0) / (SEARCHES * CANDIDATES);
  const trapPass = rows.overfit.filter((r) => r.best !== 'trap').length / SEARCHES;
  const trapAdmissions = rows.overfit.reduce((a, r) => a + r.admitted.filter((k) => k === 'trap').length, 0) / SEARCHES;
  const power = rows.power.filter((r) => r.admitted.length > 0).length / SEARCHES;
  const powerCandidates = rows.power.reduce((a, r) => a + r.admitted.length, 0) / SEARCHES;
  const weak = rows.weak.filter((r) => r.admitted.length > 0).length / SEARCHES;
  console.log(`\n${name}`);
  console.log(`  noise:   searches with a false admission ${pct(falseSearches)}, candidates falsely admitted ${pct(falseCandidates)}`);
  console.log(`  overfit: final best free of the dev-only trap in ${pct(trapPass)} of searches; trap admissions per search ${trapAdmissions.toFixed(2)}`);
  console.log(`  power:   a real +2σ effect admitted in ${pct(power)} of searches; ${powerCandidates.toFixed(2)} of ${CANDIDATES} candidates admitted per search`);
  console.log(`  weak:    a real +1σ effect admitted in ${pct(weak)} of searches`);
}
