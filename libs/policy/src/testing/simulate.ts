import { fold, type SearchTree } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { baselineGateSeeds, candidateGateSeeds, type admissionPolicy } from '../admission.js';
import { policyRef } from '../decision.js';

/** A synthetic candidate's true effects on dev and on the gate, and a label to count it by. */
export interface SyntheticCandidate {
  dev: number;
  gate: number;
  kind: string;
}

/** A synthetic search's shape: how many candidates, how many gate calls, how noisy a run is. */
export interface SyntheticSearchShape {
  candidates?: number;
  gateBudget?: number;
  sd?: number;
}

/** The tree a synthetic search ended with, and the kind of each candidate by node id. */
export interface SyntheticSearch {
  tree: SearchTree;
  kinds: Map<string, string>;
}

/** A seeded generator of uniform and standard normal draws (mulberry32, Box–Muller). */
function draws(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

/**
 * One seeded synthetic search, decided by `policy` as the coordinator would: a baseline (4 dev runs,
 * and the gate runs the policy asks for the baseline), then candidates under the root with 2 dev runs
 * each (more when admission asks for them), gated when dev clears (the policy's `gateRuns`, or 2,
 * the task's repeats, when it is 0; a second look when it asks for one), within the gate budget. A run scores
 * 0.8 + the candidate's effect + sd·noise. `candidateOf(i, uniform)` gives candidate i's truth.
 * Shared by the calibration spec and bench/admission.mjs, so both measure the same thing.
 */
export function simulateSearch(
  seed: number,
  policy: ReturnType<typeof admissionPolicy>,
  candidateOf: (index: number, uniform: () => number) => SyntheticCandidate,
  shape: SyntheticSearchShape = {},
): SyntheticSearch {
  const { candidates = 24, gateBudget = 12, sd = 0.01 } = shape;
  const { normal, uniform } = draws(seed);
  const runs = (n: number, shift: number) => Array.from({ length: n }, (_, s) => ({ seed: s, value: 0.8 + shift + sd * normal() }));
  const s = new EventScript(`s${seed}`);
  s.start({ budget: { experiments: candidates, parallel: 1, gateEvaluations: gateBudget }, policies: { admission: policyRef(policy) } });
  s.add({ type: 'BaselineMeasured', data: { nodeId: '0', commit: 'c0', runs: runs(4, 0) } });
  s.add({ type: 'GateEvaluated', data: { nodeId: '0', commit: 'c0', runs: runs(baselineGateSeeds(policy.params, 4), 0), gateEvaluationsUsed: 1 } });
  let gateCalls = 1;
  const kinds = new Map<string, string>();
  for (let i = 1; i <= candidates; i += 1) {
    const id = String(i);
    const truth = candidateOf(i, uniform);
    kinds.set(id, truth.kind);
    s.propose(id, '0', { x: i });
    s.succeed(id, runs(2, truth.dev).map((r) => r.value));
    let decision = policy.decide(fold(s.events), id);
    for (let next = 2; decision.action === 'repeat'; ) {
      const more = runs(decision.runs ?? 1, truth.dev).map((r) => ({ ...r, seed: next++ }));
      s.add({ type: 'ExperimentRepeated', data: { nodeId: id, commit: `commit-${id}`, runs: more } });
      decision = policy.decide(fold(s.events), id);
    }
    // A gate look, and a second one when the policy asks for it (gateExtend), with the seeds after the first's.
    while (decision.action === 'gate') {
      gateCalls += 1;
      const first = fold(s.events).nodes.get(id)!.gate;
      const n = first ? decision.runs ?? 1 : candidateGateSeeds(policy.params) ?? 2;
      const look = runs(n, truth.gate).map((r, k) => ({ ...r, seed: (first?.runs.length ?? 0) + k }));
      s.add({ type: 'GateEvaluated', data: { nodeId: id, commit: `commit-${id}`, runs: look, gateEvaluationsUsed: gateCalls, ...(first ? { extendsGate: first.eventId } : {}) } });
      decision = policy.decide(fold(s.events), id);
    }
    s.decide(id, decision.action === 'admit', decision.rule);
  }
  return { tree: fold(s.events), kinds };
}

/** The kinds of the candidates a synthetic search admitted. */
export function admittedKinds(search: SyntheticSearch): string[] {
  return [...search.tree.nodes.values()].filter((n) => n.id !== '0' && n.status === 'admitted').map((n) => search.kinds.get(n.id)!);
}
