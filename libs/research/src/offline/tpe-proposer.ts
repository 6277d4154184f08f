import { hashString, seededRandom } from '@hypotree/policy';
import { configKey, declaredSpace, formatValue, triedConfigs } from '../space.js';
import type { Proposal, ProposalRequest, Proposer } from '../types.js';
import { evaluatedConfigs, favouredConfigs, MODEL_MIN_EVALUATED } from './parzen.js';
import { uniformConfigs } from './random-proposer.js';

/**
 * A tree-structured Parzen estimator without the tree: the model-based baseline of the benchmarks.
 * Every proposal is a whole configuration, independent of the parent and its lineage and blind to
 * insights: uniform draws until `MODEL_MIN_EVALUATED` configurations are evaluated, then the ones a
 * Parzen model of every evaluation so far (best quarter against the rest) rates highest.
 * Deterministic for (seed, parent, children).
 */
const config = (p: Proposal) => (p.change.kind === 'params' ? p.change.set : {});

export class TpeProposer implements Proposer {
  readonly kind = 'tpe';

  constructor(private readonly options: { seed?: number } = {}) {}

  async propose(request: ProposalRequest): Promise<Proposal[]> {
    const { tree, task, parentId, count } = request;
    const space = declaredSpace(task, 'tpe proposer');
    const parent = tree.nodes.get(parentId);
    if (!parent) throw new Error(`tpe proposer: parent node ${parentId} is not in search ${tree.searchId}`);
    const random = seededRandom(this.options.seed ?? tree.started?.seed ?? 0, hashString(`tpe:${parentId}`), parent.children.length);
    const tried = triedConfigs(tree, space);
    const evaluated = evaluatedConfigs(tree, space);
    const favoured = favouredConfigs(space, evaluated, { count, random, accept: (config) => !tried.has(configKey(config, space)) });
    const proposals: Proposal[] = favoured.map(({ config, logRatio, good, bad }) => ({
      title: `tpe ${space.map((p) => `${p.name}=${formatValue(config[p.name]!)}`).join(', ')}`,
      mechanism: `a Parzen model of the ${good + bad} configurations evaluated so far (the best ${good} against the rest) rates this configuration highest among its draws (log density ratio ${formatValue(logRatio)})`,
      prediction: `dev ${task.spec.objective.metric} improves on the best so far; the model's good density is highest here`,
      change: { kind: 'params', set: config },
      proposer: { kind: this.kind },
      insightsConsidered: [],
    }));
    for (const p of proposals) tried.add(configKey(config(p), space));
    for (const set of uniformConfigs(space, tried, count - proposals.length, random)) {
      proposals.push({
        title: `tpe start-up sample ${space.map((p) => `${p.name}=${formatValue(set[p.name]!)}`).join(', ')}`,
        mechanism: `a uniform draw: the Parzen model needs ${MODEL_MIN_EVALUATED} evaluated configurations and has ${evaluated.length}`,
        prediction: `dev ${task.spec.objective.metric} differs from node ${parentId}'s; the draws seed the model`,
        change: { kind: 'params', set },
        proposer: { kind: this.kind },
        insightsConsidered: [],
      });
    }
    return proposals;
  }
}
