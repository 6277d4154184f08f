import { ROOT_NODE_ID, type NodeId } from '@hypotree/events';
import { standardNormal } from '@hypotree/policy';
import { activeParameters, type Parameter, type ParameterValue } from '@hypotree/task';
import { admittedAncestor, devScore, lineage, type SearchTree } from '@hypotree/tree';
import { decode, effectiveParams, encode, isNumeric, type ParamConfig } from '../space.js';
import { evaluatedConfigs, parzenModel, type Evaluated, type ParzenModel } from './parzen.js';

/**
 * The surrogate the offline proposer consults under a node: a Parzen-estimator model (TPE) of
 * every evaluation in the tree, conditioned on the node being expanded.
 * - Its "good" set is what beat this node's dev score (when two evaluations or more did; else the
 *   best quarter), so it asks "where do configurations better than here lie", not "where is the
 *   tree's best". With `verdicts`, a candidate the dev screen or the gate refused counts below its
 *   parent (see `verdictScore`): the model learns where admissions lie, not only where dev is high.
 * - Evaluations count by kinship: the node's lineage, its siblings and its subtree fully, the rest
 *   of the tree by their distance from the node's configuration, within the node's trust radius
 *   (a configuration far from here says little about a step from here).
 * - The trust radius is the lineage's: it widens after each admitted step along it and narrows
 *   with each child of the node that was not admitted (a trust region, as in TuRBO, one per node).
 */
export interface NodeSurrogate {
  model: ParzenModel;
  /** The node's trust radius in the normalised [0, 1] scale. */
  radius: number;
  /** The evaluations it learned from, how many beat the node, and how many count as refusals (`verdictScore`). */
  evaluated: number;
  better: number;
  refused: number;
  /** log(good density / bad density) of a configuration: higher is more promising. */
  rate(config: ParamConfig): number;
  /** A configuration inside the trust region around `centre`: a few parameters moved by about the radius. */
  perturb(centre: ParamConfig, random: () => number): ParamConfig;
}

/** The trust radius of a node with no history, and its bounds. */
export const TRUST_RADIUS = { initial: 0.2, min: 0.04, max: 0.5 };

/**
 * The surrogate under `nodeId`, or undefined while the tree holds too few evaluations for a model.
 * `verdicts`: refusals count below their parent (`verdictScore`), not at their dev scores.
 */
export function nodeSurrogate(tree: SearchTree, nodeId: NodeId, space: readonly Parameter[], options: { verdicts?: boolean } = {}): NodeSurrogate | undefined {
  const node = tree.nodes.get(nodeId);
  if (!node) return undefined;
  const centre = effectiveParams(tree, nodeId, space);
  const radius = trustRadius(tree, nodeId);
  const kin = kinOf(tree, nodeId);
  const evaluated = evaluatedConfigs(tree, space);
  const weighed: Evaluated[] = evaluated.map((e) => ({
    ...e,
    score: options.verdicts ? verdictScore(tree, e) : e.score,
    weight: e.nodeId !== undefined && kin.has(e.nodeId) ? 1 : Math.max(0.1, Math.exp(-0.5 * (distance(space, e.config, centre) / (2 * radius)) ** 2)),
  }));
  const here = devScore(tree, node);
  const model = parzenModel(space, weighed, here === undefined ? {} : { above: here });
  if (!model) return undefined;
  const better = here === undefined ? 0 : weighed.filter((e) => e.score !== 'failed' && e.score > here).length;
  return {
    model,
    radius,
    evaluated: weighed.length,
    better,
    refused: weighed.filter((e, i) => e.score !== evaluated[i]!.score).length,
    rate: (config) => model.rate(config),
    perturb: (from, random) => perturb(space, from, radius, random),
  };
}

/**
 * What an evaluation counts for in the surrogate. A candidate the search decided against on its
 * numbers, the dev screen (`dev-below-threshold`) or the gate (`gate-disagrees`), did not show that
 * it beats its admitted parent, whatever its dev score says: it counts as the parent's dev score
 * less the margin by which it missed that bar (the threshold less the gain the refusing look saw,
 * the gate's own gain for a gate refusal). So a refusal is never "better" than the node it was
 * measured against, and among refusals the near misses rank first. Without this, a region of
 * candidates that beat the node on dev but never clear its bars fills the model's good set, and it
 * keeps drawing there (routing at budget 96, seed 1: 88 root children after the design, 47 of
 * them refused by the gate, nothing admitted). Every other evaluation (admitted, undecided, rejected for want of gate budget
 * or on integrity, a decision without its numbers) keeps its dev score.
 */
export function verdictScore(tree: SearchTree, e: Evaluated): Evaluated['score'] {
  const decision = e.nodeId === undefined ? undefined : tree.nodes.get(e.nodeId)?.decision;
  if (e.score === 'failed' || !decision || decision.admitted) return e.score;
  const missed = missedBy(decision.rule, decision.deltas);
  const parent = missed === undefined ? undefined : admittedAncestor(tree, e.nodeId!);
  const bar = parent ? devScore(tree, parent) : undefined;
  return bar === undefined || missed === undefined ? e.score : Math.min(e.score, bar - missed);
}

// How far short of its bar a refusal fell (positive), from the numbers its decision recorded.
function missedBy(rule: string, d: Record<string, number>): number | undefined {
  if (rule === 'dev-below-threshold' && d.dev !== undefined && d.threshold !== undefined) return d.threshold - d.dev;
  const gateBar = d.gateThreshold ?? d.gateMargin;
  if (rule === 'gate-disagrees' && d.gate !== undefined && gateBar !== undefined) return gateBar - d.gate;
  return undefined;
}

/**
 * A node's trust radius: the initial one, × 1.5 for each admitted step on its lineage (capped),
 * × 0.7 for each of its own finished children that was not admitted (floored; not at the root).
 */
export function trustRadius(tree: SearchTree, nodeId: NodeId): number {
  let radius = TRUST_RADIUS.initial;
  for (const n of lineage(tree, nodeId)) if (n.id !== ROOT_NODE_ID && n.decision?.admitted) radius = Math.min(TRUST_RADIUS.max, radius * 1.5);
  // The root's children open new directions far from it: their rejection says nothing of a step near it.
  if (nodeId === ROOT_NODE_ID) return radius;
  for (const id of tree.nodes.get(nodeId)?.children ?? []) {
    const child = tree.nodes.get(id)!;
    if ((child.decision && !child.decision.admitted) || child.failure) radius = Math.max(TRUST_RADIUS.min, radius * 0.7);
  }
  return radius;
}

/**
 * Root-mean-square distance between two configurations in the normalised scale (a differing choice
 * counts 1; a parameter inactive in both counts 0, one active in only one of them 1).
 */
export function distance(space: readonly Parameter[], a: ParamConfig, b: ParamConfig): number {
  const inA = activeParameters(space, a);
  const inB = activeParameters(space, b);
  let sum = 0;
  for (const p of space) {
    if (!inA.has(p.name) || !inB.has(p.name)) sum += inA.has(p.name) === inB.has(p.name) ? 0 : 1;
    else if (isNumeric(p)) sum += (encode(p, Number(a[p.name])) - encode(p, Number(b[p.name]))) ** 2;
    else sum += a[p.name] === b[p.name] ? 0 : 1;
  }
  return Math.sqrt(sum / Math.max(1, space.length));
}

// The node's lineage, the children of every node on it (siblings and aunts), and its own subtree.
function kinOf(tree: SearchTree, nodeId: NodeId): Set<NodeId> {
  const kin = new Set<NodeId>();
  for (const n of lineage(tree, nodeId)) {
    kin.add(n.id);
    if (n.id !== ROOT_NODE_ID) n.children.forEach((c) => kin.add(c));
  }
  const stack = [nodeId];
  while (stack.length > 0) {
    const id = stack.pop()!;
    kin.add(id);
    stack.push(...(tree.nodes.get(id)?.children ?? []));
  }
  return kin;
}

// Moves each parameter with probability max(2/d, 0.2) (at least one): numbers by a normal step of
// the radius, choices and booleans to another value with probability 2 × radius.
function perturb(space: readonly Parameter[], from: ParamConfig, radius: number, random: () => number): ParamConfig {
  const chance = Math.max(2 / space.length, 0.2);
  const moved = space.filter(() => random() < chance);
  if (moved.length === 0) moved.push(space[Math.floor(random() * space.length)]!);
  const config = { ...from };
  for (const p of moved) {
    if (isNumeric(p)) {
      config[p.name] = decode(p, encode(p, Number(from[p.name])) + radius * standardNormal(random));
    } else if (random() < Math.min(1, 2 * radius)) {
      const values: ParameterValue[] = p.type === 'choice' ? p.choices : [true, false];
      const others = values.filter((v) => v !== from[p.name]);
      if (others.length > 0) config[p.name] = others[Math.floor(random() * others.length)]!;
    }
  }
  return config;
}
