import type { NodeId } from '@hypotree/events';
import { activeParameters, defaults, type Parameter, type ParameterValue, type Task } from '@hypotree/task';
import { lineage, type SearchTree } from '@hypotree/tree';

/** A full parameter assignment: every declared parameter has a value. */
export type ParamConfig = Record<string, ParameterValue>;

/** Declared defaults plus the `params` changes along a node's lineage (root → node); free-form changes leave params as they were. */
export function effectiveParams(tree: SearchTree, nodeId: NodeId, space: readonly Parameter[]): ParamConfig {
  let bySpace = configsOf.get(tree);
  if (!bySpace) configsOf.set(tree, (bySpace = new WeakMap()));
  let byNode = bySpace.get(space);
  if (!byNode) bySpace.set(space, (byNode = new Map()));
  let config = byNode.get(nodeId);
  if (!config) {
    config = defaults(space);
    for (const n of lineage(tree, nodeId)) {
      const change = n.hypothesis?.change;
      if (change?.kind === 'params') Object.assign(config, change.set);
    }
    byNode.set(nodeId, config);
  }
  // A copy: callers may change what they get, the snapshot's own stays as it was.
  return { ...config };
}

// Configurations of one tree snapshot, per space and node (trees never change once built; a long
// search asks for the same node's configuration many times in one step).
const configsOf = new WeakMap<SearchTree, WeakMap<readonly Parameter[], Map<NodeId, ParamConfig>>>();

/** The declared parameter space of a task, or an error saying where to declare one. */
export function declaredSpace(task: Task, who: string): readonly Parameter[] {
  const space = task.spec.parameters?.space;
  if (!space || space.length === 0) {
    throw new Error(
      `${who}: task '${task.spec.name}' (${task.specPath}) declares no parameter space; add "parameters": {"file", "space"} to its spec or use an LLM proposer`,
    );
  }
  return space;
}

/**
 * A canonical key of a configuration over the declared parameters, to tell whether it was already
 * tried: a parameter that is inactive in it (its `when` condition fails) does not count, so two
 * configurations that differ only there are the same experiment.
 */
export function configKey(config: ParamConfig, space: readonly Parameter[]): string {
  const active = activeParameters(space, config);
  return JSON.stringify(space.map((p) => (active.has(p.name) ? (config[p.name] ?? null) : null)));
}

/** The parameters of `config` that differ from `base`, leaving out those inactive in `config` (changing them would change nothing). */
export function changedParams(space: readonly Parameter[], config: ParamConfig, base: ParamConfig): Record<string, ParameterValue> {
  const active = activeParameters(space, config);
  return Object.fromEntries(space.filter((p) => active.has(p.name) && config[p.name] !== base[p.name]).map((p) => [p.name, config[p.name]!]));
}

/** The key of every configuration the tree already holds (proposed, running or finished). */
export function triedConfigs(tree: SearchTree, space: readonly Parameter[]): Set<string> {
  const keys = new Set<string>();
  for (const id of tree.nodes.keys()) keys.add(configKey(effectiveParams(tree, id, space), space));
  return keys;
}

type NumericParameter = Extract<Parameter, { type: 'float' | 'int' }>;

/** Whether a parameter is a number (float or int). */
export function isNumeric(p: Parameter): p is NumericParameter {
  return p.type === 'float' || p.type === 'int';
}

/** Position of a value in [0, 1] along the parameter's range (log scale where declared). */
export function encode(p: NumericParameter, value: number): number {
  const v = Math.min(p.max, Math.max(p.min, value));
  if (p.log) return (Math.log(v) - Math.log(p.min)) / (Math.log(p.max) - Math.log(p.min));
  return (v - p.min) / (p.max - p.min);
}

/** The legal value at position u ∈ [0, 1] of the range: rounded to an integer or to 3 significant digits, clamped. */
export function decode(p: NumericParameter, u: number): number {
  const t = Math.min(1, Math.max(0, u));
  const raw = p.log ? Math.exp(Math.log(p.min) + t * (Math.log(p.max) - Math.log(p.min))) : p.min + t * (p.max - p.min);
  const rounded = p.type === 'int' ? Math.round(raw) : Number(raw.toPrecision(3));
  return Math.min(p.max, Math.max(p.min, rounded));
}

/** A value as a person reads it in a title: numbers to 4 significant digits. */
export function formatValue(value: ParameterValue | undefined): string {
  if (typeof value === 'number') return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(2) : String(Number(value.toPrecision(4)));
  return String(value);
}
