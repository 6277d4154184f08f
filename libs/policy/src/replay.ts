import { ROOT_NODE_ID, type NodeId, type RecordedSearchEvent, type SearchEvent } from '@hypotree/events';
import { bestAdmitted, bestVerified, emptyTree, fold } from '@hypotree/tree';
import { baselineGateSeeds, candidateGateSeeds, type admissionPolicy } from './admission.js';

/** One node's decision as recorded, and as the other admission policy decides it from the same evidence. */
export interface ReplayedDecision {
  nodeId: NodeId;
  recorded: { outcome: 'admitted' | 'rejected' | 'failed' | 'undecided'; rule?: string };
  replayed: { outcome: 'admitted' | 'rejected' | 'needs-gate' | 'needs-runs'; rule: string; reason: string };
  changed: boolean;
}

/** What a counterfactual admission replay found. */
export interface AdmissionReplay {
  decisions: ReplayedDecision[];
  /** Gate evaluations the other policy asks for that the log never recorded: run them in a branch to know. */
  unrecordedGates: NodeId[];
  /** Nodes the other policy wants more dev runs of than the log holds. */
  unrecordedRuns: NodeId[];
  recordedBest?: NodeId;
  replayedBest?: NodeId;
}

const DECISIONS = new Set(['HypothesisAdmitted', 'HypothesisRejected', 'GateEvaluated', 'GateFailed', 'ExperimentRepeated', 'NodePruned', 'SearchCompleted', 'FinalTestEvaluated']);

/**
 * Re-runs admission under another policy over a search's recorded proposals and results: the same
 * experiments, the same evidence, other decisions. A gate evaluation the other policy asks for is
 * used when the log recorded one for that node with as many seeds as it asks for; otherwise it is
 * reported, never invented. Pure.
 */
export function replayAdmission(history: RecordedSearchEvent[], admission: ReturnType<typeof admissionPolicy>): AdmissionReplay {
  const recordedTree = fold(history);
  // Each node's recorded gate looks in order (a second look only after its first).
  const gates = new Map<NodeId, RecordedSearchEvent[]>();
  for (const e of history) if (e.type === 'GateEvaluated' || e.type === 'GateFailed') gates.set(e.data.nodeId, [...(gates.get(e.data.nodeId) ?? []), e]);
  let tree = emptyTree();
  let synthetic = 0;
  const repeats = new Map<NodeId, RecordedSearchEvent[]>();
  for (const e of history) if (e.type === 'ExperimentRepeated') repeats.set(e.data.nodeId, [...(repeats.get(e.data.nodeId) ?? []), e]);
  const decisions: ReplayedDecision[] = [];
  const unrecordedGates: NodeId[] = [];
  const unrecordedRuns: NodeId[] = [];
  const apply = (event: SearchEvent, like: RecordedSearchEvent) => {
    tree = fold([{ ...like, ...event, id: `replay-${++synthetic}`, revision: tree.revision + 1 } as RecordedSearchEvent], tree);
  };
  // A recorded look is used only when it ran the number of seeds the other policy asks for (a
  // failed look ran none, and is used as it is); a look of another size is other evidence.
  const gate = (nodeId: NodeId, runs: number | undefined): boolean => {
    const recorded = gates.get(nodeId)?.[0];
    if (!recorded || (recorded.type === 'GateEvaluated' && runs !== undefined && recorded.data.runs.length !== runs)) return false;
    gates.get(nodeId)!.shift();
    // The replayed tree's ids are its own: a second look names the replayed first look.
    const first = tree.nodes.get(nodeId)?.gate;
    const data = { ...recorded.data, gateEvaluationsUsed: tree.gateEvaluationsUsed + 1, ...(first ? { extendsGate: first.eventId } : {}) };
    apply({ ...recorded, data } as SearchEvent, recorded);
    return true;
  };

  for (const event of history) {
    if (DECISIONS.has(event.type)) continue;
    apply(event, event);
    if (event.type === 'BaselineMeasured' && !tree.nodes.get(ROOT_NODE_ID)!.gate) gate(ROOT_NODE_ID, baselineGateSeeds(admission.params, event.data.runs.length));
    if (event.type !== 'ExperimentSucceeded') continue;
    const nodeId = event.data.nodeId;
    let decision = admission.decide(tree, nodeId);
    // More runs the policy asks for are used when the log recorded them, one repeat at a time.
    while (decision.action === 'repeat' && (repeats.get(nodeId)?.length ?? 0) > 0) {
      const recorded = repeats.get(nodeId)!.shift()!;
      apply(recorded, recorded);
      decision = admission.decide(tree, nodeId);
    }
    // A first look, and a second one when the policy asks for it and the log recorded it.
    while (decision.action === 'gate' && gate(nodeId, tree.nodes.get(nodeId)!.gate ? decision.runs : candidateGateSeeds(admission.params))) decision = admission.decide(tree, nodeId);
    const recorded = recordedTree.nodes.get(nodeId)!;
    const recordedOutcome = recorded.decision ? (recorded.decision.admitted ? 'admitted' : 'rejected') : recorded.failure ? 'failed' : 'undecided';
    // A candidate the policy would compare with a baseline gate the log never recorded (at the size
    // it asks for) waits on that gate: in a search the baseline is gated before anything is decided.
    const awaitsBaseline = decision.action === 'reject' && decision.rule === 'parent-not-gated' && !tree.nodes.get(ROOT_NODE_ID)!.gate;
    const outcome = decision.action === 'gate' || awaitsBaseline ? 'needs-gate' : decision.action === 'repeat' ? 'needs-runs' : decision.action === 'admit' ? 'admitted' : 'rejected';
    if (awaitsBaseline) {
      if (!unrecordedGates.includes(ROOT_NODE_ID)) unrecordedGates.push(ROOT_NODE_ID);
    } else if (outcome === 'needs-gate') unrecordedGates.push(nodeId);
    else if (outcome === 'needs-runs') unrecordedRuns.push(nodeId);
    else {
      const data = { nodeId, policy: decision.policy, rule: decision.rule, reason: decision.reason, evidence: decision.evidence, deltas: decision.deltas };
      apply(outcome === 'admitted' ? { type: 'HypothesisAdmitted', data } : { type: 'HypothesisRejected', data }, event);
    }
    decisions.push({
      nodeId,
      recorded: { outcome: recordedOutcome, rule: recorded.decision?.rule },
      replayed: { outcome, rule: decision.rule, reason: decision.reason },
      changed: outcome !== recordedOutcome,
    });
  }
  return { decisions, unrecordedGates, unrecordedRuns, recordedBest: recordedTree.completed?.bestNodeId ?? bestVerified(recordedTree)?.id, replayedBest: (admission.params.mode === 'dev-only' ? bestAdmitted(tree) : bestVerified(tree))?.id };
}
