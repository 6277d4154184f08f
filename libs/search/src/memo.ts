import { ROOT_NODE_ID, type ModelCall, type NodeId, type RecordedSearchEvent, type ReuseSource, type RunScore, type SandboxKind, type SearchEventData } from '@hypotree/events';
import { effectiveParams, configKey, type RecalledReply } from '@hypotree/research';
import type { Parameter } from '@hypotree/task';
import { seedRange } from './model.js';
import { fold, lineage, type SearchTree } from '@hypotree/tree';

/** One search of a family and the events of its own stream (a branch's parent events are its parent's). */
export interface FamilyMember {
  searchId: string;
  /** The search's whole history (a branch's starts with its parent's), as `SearchLog.history` reads it. */
  history: RecordedSearchEvent[];
}

/** What the memo needs of the task every reused measurement must have come from. */
export interface MemoTask {
  /** The hashes of the spec and evaluators: evidence recorded under other ones is never reused. */
  specHash: string;
  evaluatorHash: string;
  space: readonly Parameter[];
  /** The implementer kind: only the `params` implementer's artifacts follow from the configuration alone. */
  implementer: string;
}

/** A recorded experiment outcome and where it is. */
export interface RecordedExperiment {
  source: ReuseSource & { nodeId: NodeId };
  outcome: { type: 'ExperimentSucceeded'; data: SearchEventData<'ExperimentSucceeded'> } | { type: 'ExperimentFailed'; data: SearchEventData<'ExperimentFailed'> };
}

/** What a recorded evaluation ran under. */
export interface RecordedUnder {
  sandbox?: SandboxKind;
  evaluatorHash?: string;
}

/** Recorded runs of one evaluation, and where they are. */
export interface RecordedRuns extends RecordedUnder {
  runs: RunScore[];
  source: ReuseSource;
}

/** A recorded gate evaluation: scores, or how it failed. */
export type RecordedGate = RecordedUnder &
  ({ ok: true; runs: RunScore[]; source: ReuseSource } | { ok: false; kind: SearchEventData<'GateFailed'>['kind']; detail: string; source: ReuseSource });

/**
 * What a search family (a search, its branches and its replays) has already paid for, indexed so a
 * replay can take it instead of paying again: experiments by the artifact they produce, dev, gate and
 * test runs by commit and seeds, model replies by model and prompt hash. Every entry points at the
 * event that paid for it (a reused entry at its own source, never at the reuse). Pure: built from
 * the members' histories, it never reads anything else.
 */
export class FamilyMemo {
  private readonly experiments = new Map<string, RecordedExperiment>();
  private readonly dev = new Map<string, RecordedRuns[]>();
  private readonly gates = new Map<string, RecordedGate>();
  private readonly tests = new Map<string, RecordedRuns[]>();
  private readonly replies = new Map<string, RecalledReply>();

  constructor(
    members: readonly FamilyMember[],
    private readonly task: MemoTask,
  ) {
    const seen = new Set<string>();
    for (const member of members) {
      const tree = fold(member.history);
      for (const event of member.history) {
        if (seen.has(event.id)) continue; // a branch holds its parent's events: each is indexed once
        seen.add(event.id);
        this.index(tree, event);
      }
    }
  }

  /** The family's outcome of the experiment that would produce the same artifact as `nodeId` of `tree`, if any. */
  experiment(tree: SearchTree, nodeId: NodeId, baseCommit: string): RecordedExperiment | undefined {
    return this.experiments.get(this.experimentKey(tree, nodeId, baseCommit));
  }

  /** Dev runs of `commit` with exactly these seeds, all from one recorded evaluation. */
  devRuns(commit: string, seeds: readonly number[]): RecordedRuns | undefined {
    return pick(this.dev.get(commit), seeds);
  }

  /**
   * The family's gate evaluation of `commit` with this many seeds from seed `from` (a first look
   * from 1, a second look after it); a failed one whatever it asked for.
   */
  gate(commit: string, seeds: number, from = 1): RecordedGate | undefined {
    // A failed first look answers any first look of the commit; a second look only its own runs
    // (a failed second look is not kept: it says nothing of a first look or of other seeds).
    if (from > 1) return this.gates.get(gateKey(commit, seeds, from));
    return this.gates.get(gateKey(commit, seeds, undefined)) ?? this.gates.get(`${commit}#failed`);
  }

  /** Held-out test runs of `commit` with this many seeds (1 to n). */
  testRuns(commit: string, seeds: number): RecordedRuns | undefined {
    return pick(this.tests.get(commit), seedRange(seeds));
  }

  /** The recorded reply to this prompt of this model, for this purpose. */
  reply(purpose: ModelCall['purpose'], model: string, promptHash: string): RecalledReply | undefined {
    return this.replies.get(`${purpose}|${model}|${promptHash}`);
  }

  /** How many entries of each kind the memo holds. */
  get size(): { experiments: number; devEvaluations: number; gateEvaluations: number; testEvaluations: number; modelCalls: number } {
    const count = (m: Map<string, unknown[]>) => [...m.values()].reduce((n, list) => n + list.length, 0);
    return { experiments: this.experiments.size, devEvaluations: count(this.dev), gateEvaluations: this.gates.size, testEvaluations: count(this.tests), modelCalls: this.replies.size };
  }

  /**
   * The artifact an experiment produces, as a key: with the `params` implementer and only parameter
   * changes from the root, the configuration on the root's commit (the same configuration reached
   * along another path is the same artifact); otherwise the change on its exact base commit.
   */
  private experimentKey(tree: SearchTree, nodeId: NodeId, baseCommit: string): string {
    const path = lineage(tree, nodeId).filter((n) => n.id !== ROOT_NODE_ID);
    const paramsOnly = this.task.implementer === 'params' && path.every((n) => n.hypothesis?.change.kind === 'params');
    if (paramsOnly) return `config|${tree.started!.task.baseCommit}|${configKey(effectiveParams(tree, nodeId, this.task.space), this.task.space)}`;
    return `change|${this.task.implementer}|${baseCommit}|${JSON.stringify(tree.nodes.get(nodeId)!.hypothesis!.change)}`;
  }

  // Evidence from another spec or evaluator is never reused (absent hashes: logs older than the record).
  private sameTask(integrity: { specHash?: string; evaluatorHash?: string } | undefined): boolean {
    if (!integrity) return true;
    return (integrity.specHash ?? this.task.specHash) === this.task.specHash && (integrity.evaluatorHash ?? this.task.evaluatorHash) === this.task.evaluatorHash;
  }

  private index(tree: SearchTree, event: RecordedSearchEvent): void {
    const here = { searchId: tree.searchId, eventId: event.id };
    switch (event.type) {
      case 'BaselineMeasured':
      case 'ExperimentRepeated':
        if (this.sameTask(event.data.integrity)) add(this.dev, event.data.commit, { runs: event.data.runs, source: event.data.reusedFrom ?? here, ...under(event.data.integrity) });
        break;
      case 'ExperimentSucceeded':
      case 'ExperimentFailed':
      case 'ExperimentReused': {
        const outcome = event.type === 'ExperimentReused' ? event.data.outcome : ({ type: event.type, data: event.data } as RecordedExperiment['outcome']);
        const source = event.type === 'ExperimentReused' ? event.data.source : { ...here, nodeId: event.data.nodeId };
        if (outcome.type === 'ExperimentFailed' && (outcome.data.kind === 'lease-expired' || outcome.data.kind === 'cancelled')) break;
        if (!this.sameTask(outcome.data.integrity)) break;
        const attempt = tree.nodes.get(event.data.nodeId)?.experiments.find((e) => e.experimentId === event.data.experimentId);
        if (!attempt) break;
        const key = this.experimentKey(tree, event.data.nodeId, attempt.baseCommit);
        if (!this.experiments.has(key)) this.experiments.set(key, { source, outcome });
        if (outcome.type === 'ExperimentSucceeded') add(this.dev, outcome.data.commit, { runs: outcome.data.runs, source: { searchId: source.searchId, eventId: source.eventId }, ...under(outcome.data.integrity) });
        break;
      }
      case 'GateEvaluated':
        if (this.sameTask(event.data.integrity)) setOnce(this.gates, gateKey(event.data.commit, event.data.runs.length, event.data.extendsGate === undefined ? undefined : Math.min(...event.data.runs.map((r) => r.seed))), { ok: true, runs: event.data.runs, source: event.data.reusedFrom ?? here, ...under(event.data.integrity) });
        break;
      case 'GateFailed':
        if (event.data.extendsGate === undefined && this.sameTask(event.data.integrity)) setOnce(this.gates, `${event.data.commit}#failed`, { ok: false, kind: event.data.kind, detail: event.data.detail, source: event.data.reusedFrom ?? here, ...under(event.data.integrity) });
        break;
      case 'FinalTestEvaluated':
        for (const scored of [event.data.baseline, event.data.best]) {
          if (scored.runs) add(this.tests, scored.commit, { runs: scored.runs, source: scored.reusedFrom ?? here });
        }
        break;
      case 'ModelCalled': {
        const { purpose, model, promptHash, reply, usage, servedBy, reusedFrom } = event.data;
        setOnce(this.replies, `${purpose}|${model}|${promptHash}`, { reply, usage, ...(servedBy ? { servedBy } : {}), source: reusedFrom ?? here });
        break;
      }
      default:
        break;
    }
  }
}

/** A first look by its number of seeds; a second look also by its first seed. */
const gateKey = (commit: string, seeds: number, from: number | undefined) => (from === undefined ? `${commit}#${seeds}` : `${commit}#${seeds}@${from}`);

const under = (integrity: RecordedUnder | undefined): RecordedUnder =>
  integrity ? { ...(integrity.sandbox ? { sandbox: integrity.sandbox } : {}), ...(integrity.evaluatorHash ? { evaluatorHash: integrity.evaluatorHash } : {}) } : {};

function add<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function setOnce<T>(map: Map<string, T>, key: string, value: T): void {
  if (!map.has(key)) map.set(key, value);
}

// The runs of these seeds from the first recorded evaluation that ran all of them.
function pick(recorded: readonly RecordedRuns[] | undefined, seeds: readonly number[]): RecordedRuns | undefined {
  for (const r of recorded ?? []) {
    const bySeed = new Map(r.runs.map((run) => [run.seed, run]));
    if (seeds.every((s) => bySeed.has(s))) return { runs: seeds.map((s) => bySeed.get(s)!), source: r.source };
  }
  return undefined;
}
