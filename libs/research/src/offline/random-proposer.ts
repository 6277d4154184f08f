import { hashString, seededRandom } from '@hypotree/policy';
import type { Parameter, ParameterValue } from '@hypotree/task';
import { configKey, declaredSpace, formatValue, isNumeric, triedConfigs } from '../space.js';
import type { Proposal, ProposalRequest, Proposer } from '../types.js';

/** Draws one value uniformly from a declared parameter (log-uniform on a log scale; ints rounded). */
export function sampleParameter(p: Parameter, random: () => number): ParameterValue {
  if (isNumeric(p)) {
    const u = random();
    const raw = p.log ? Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min))) : p.min + u * (p.max - p.min);
    const value = p.type === 'int' ? Math.round(raw) : Number(raw.toPrecision(3));
    return Math.min(p.max, Math.max(p.min, value));
  }
  if (p.type === 'choice') return p.choices[Math.floor(random() * p.choices.length)]!;
  return random() < 0.5;
}

/**
 * Random search: every parameter drawn uniformly from the declared space, ignoring the tree and the
 * insights. The baseline for ablations and benchmarks; deterministic for (seed, parent, children).
 */
export class RandomProposer implements Proposer {
  readonly kind = 'random';

  constructor(private readonly options: { seed?: number } = {}) {}

  async propose(request: ProposalRequest): Promise<Proposal[]> {
    const { tree, task, parentId, count } = request;
    const space = declaredSpace(task, 'random proposer');
    const parent = tree.nodes.get(parentId);
    if (!parent) throw new Error(`random proposer: parent node ${parentId} is not in search ${tree.searchId}`);
    const random = seededRandom(this.options.seed ?? tree.started?.seed ?? 0, hashString(`random:${parentId}`), parent.children.length);
    return uniformConfigs(space, triedConfigs(tree, space), count, random).map((set) => ({
      title: `random sample ${space.map((p) => `${p.name}=${formatValue(set[p.name])}`).join(', ')}`,
      mechanism: 'a uniform draw from the declared parameter space (log-uniform on log scales), independent of the tree: the random-search baseline',
      prediction: `dev ${task.spec.objective.metric} differs from node ${parentId}'s; random search finds good regions by coverage, not by reasoning`,
      change: { kind: 'params', set },
      proposer: { kind: this.kind },
      insightsConsidered: [],
    }));
  }
}

/** Up to `count` uniform draws from the space that are not in `tried` (added to it as they are drawn). */
export function uniformConfigs(space: readonly Parameter[], tried: Set<string>, count: number, random: () => number): Record<string, ParameterValue>[] {
  const found: Record<string, ParameterValue>[] = [];
  for (let attempt = 0; found.length < count && attempt < count * 50; attempt++) {
    const set = Object.fromEntries(space.map((p) => [p.name, sampleParameter(p, random)]));
    const key = configKey(set, space);
    if (tried.has(key)) continue;
    tried.add(key);
    found.push(set);
  }
  return found;
}
