import type {
  FailureKind,
  Integrity,
  HypothesisChange,
  NodeId,
  Objective,
  PolicyRef,
  ProducerRef,
  ReuseSource,
  RunScore,
  SearchEventData,
} from '@hypotree/events';

export type NodeStatus = 'proposed' | 'running' | 'evaluated' | 'failed' | 'admitted' | 'rejected';

/** The claim a node tests: fixed once proposed. */
export interface Hypothesis {
  title: string;
  mechanism: string;
  prediction: string;
  change: HypothesisChange;
  proposer: ProducerRef;
  insightsConsidered: string[];
  eventId: string;
}

/** One attempt at running a node's experiment (a node is re-dispatched when a lease expires). */
export interface ExperimentAttempt {
  experimentId: string;
  attempt: number;
  baseCommit: string;
  state: 'dispatched' | 'started' | 'succeeded' | 'failed';
  executorId?: string;
  dispatchedAt: string;
  leaseMs: number;
  eventId: string;
  /** Revision of the ExperimentDispatched event: the order in which experiments went out. */
  revision: number;
}

/** Summary statistics of repeated runs. */
export interface Scores {
  runs: RunScore[];
  mean: number;
  /** Sample standard deviation (0 for a single run). */
  stdev: number;
}

export interface ExperimentResult extends Scores {
  experimentId: string;
  commit: string;
  ref: string;
  report: SearchEventData<'ExperimentSucceeded'>['report'];
  /** What the evaluation ran under (events written before integrity was recorded carry the sandbox only). */
  integrity?: NodeIntegrity;
  eventId: string;
  /** A replay took this result from the family's earlier run of the same experiment (ExperimentReused). */
  reusedFrom?: ReuseSource;
}

/** An event's integrity, or the sandbox alone for events older than the integrity record. */
export type NodeIntegrity = Partial<Integrity> & Pick<Integrity, 'sandbox'>;

export interface ExperimentFailure {
  experimentId: string;
  /** Revision of the ExperimentFailed event, to order outcomes. */
  revision: number;
  kind: FailureKind;
  detail: string;
  eventId: string;
  reusedFrom?: ReuseSource;
}

export interface GateResult extends Scores {
  commit: string;
  integrity?: NodeIntegrity;
  eventId: string;
  /** A replay took this evaluation from the family's earlier one: the sealed gate did not run again. */
  reusedFrom?: ReuseSource;
  /**
   * Present when a second look added runs (GateEvaluated `extendsGate`): the first look's event and
   * integrity. `runs`, `mean` and `stdev` are then over both looks; `eventId` and `integrity` are the second's.
   */
  firstLook?: { eventId: string; integrity?: NodeIntegrity; runs: number };
}

export interface Decision {
  admitted: boolean;
  /** Revision of the admission or rejection event, to order outcomes. */
  revision: number;
  policy: PolicyRef;
  rule: string;
  reason: string;
  evidence: string[];
  deltas: Record<string, number>;
  eventId: string;
}

export interface TreeNode {
  id: NodeId;
  parentId: NodeId | null;
  depth: number;
  children: NodeId[];
  /** Absent on the root, which is the baseline artifact. */
  hypothesis?: Hypothesis;
  status: NodeStatus;
  experiments: ExperimentAttempt[];
  result?: ExperimentResult;
  failure?: ExperimentFailure;
  gate?: GateResult;
  /** A gate evaluation that produced no score (it still counted against the gate budget). */
  gateFailure?: { kind: SearchEventData<'GateFailed'>['kind']; detail: string; eventId: string; reusedFrom?: ReuseSource };
  decision?: Decision;
  pruned?: { reason: string; rule: string; policy: PolicyRef; eventId: string };
  /** The proposer had nothing new under this node; it is not expanded again. */
  exhausted?: { proposer: string; reason: string; eventId: string };
  insights: string[];
}

export interface Insight {
  id: string;
  nodeId: NodeId;
  scope: 'node' | 'subtree' | 'global';
  kind: 'finding' | 'constraint';
  text: string;
  evidence: string[];
  distiller: ProducerRef;
  claim?: SearchEventData<'InsightDistilled'>['claim'];
  basis?: SearchEventData<'InsightDistilled'>['basis'];
  supersededBy?: string;
  active: boolean;
  eventId: string;
}

/** Counts of evidence a search reused from its family (see SearchTree.reused). */
export interface Reuse {
  experiments: number;
  gateEvaluations: number;
  /** Dev runs of the baseline and adaptive repeats. */
  devEvaluations: number;
  modelCalls: number;
  /** Tokens of the reused model calls: spent once, by the search that made the call. */
  modelTokens: number;
  /** Held-out test scores (baseline and best) taken from an earlier test of the same commit. */
  testScores: number;
}

/** The hypothesis tree of one search: a projection of its event stream. */
export interface SearchTree {
  searchId: string;
  /** Revision of the last event of this search's own stream folded in (-1: none). */
  revision: number;
  started?: SearchEventData<'SearchStarted'>;
  /** When this search (or this branch) started: the wall-clock budget counts from here. */
  startedAt?: string;
  branchedFrom?: { searchId: string; revision: number; reason: string };
  objective?: Objective;
  nodes: Map<NodeId, TreeNode>;
  insights: Map<string, Insight>;
  /** Which node each experiment id belongs to. */
  experiments: Map<string, NodeId>;
  gateEvaluationsUsed: number;
  tokensUsed: number;
  /**
   * What this search took from its family instead of measuring or asking again (a replay): every
   * count here is also in the totals above, which are what the search would have cost on its own.
   */
  reused: Reuse;
  /** Model calls recorded (ModelCalled), reused ones included. */
  modelCalls: number;
  /** Decisions after which no lesson could be drawn (DistillationFailed): the distiller kept failing. */
  distillationsFailed: { nodeId: NodeId; reason: string; eventId: string }[];
  /**
   * The node of the last decision when no insight event has followed it yet: a coordinator that
   * stopped between deciding and distilling left it, and a resume distills it.
   */
  awaitingDistillation?: NodeId;
  completed?: SearchEventData<'SearchCompleted'>;
  finalTest?: SearchEventData<'FinalTestEvaluated'>;
  /** The search ended because an evaluation it cannot do without failed (see SearchFailed); a failed search is not open. */
  failed?: SearchEventData<'SearchFailed'>;
}
