import { standardNormal } from '@hypotree/policy';
import { activeParameters, type Parameter, type ParameterValue } from '@hypotree/task';
import { devScore, type SearchTree } from '@hypotree/tree';
import { configKey, decode, effectiveParams, encode, isNumeric, type ParamConfig } from '../space.js';

/** One evaluated configuration: its oriented dev score (higher is better), or a failure. */
export interface Evaluated {
  config: ParamConfig;
  score: number | 'failed';
  /** The node it was measured at. */
  nodeId?: string;
  /** How much it counts in the densities (1 when absent): a conditioned model weighs what is near more. */
  weight?: number;
}

/** Every evaluated configuration of the tree with its oriented dev score, failures included (the model's data). */
export function evaluatedConfigs(tree: SearchTree, space: readonly Parameter[]): Evaluated[] {
  const found: Evaluated[] = [];
  for (const n of tree.nodes.values()) {
    const score = devScore(tree, n);
    const failed = n.failure && n.failure.kind !== 'refused' && n.failure.kind !== 'lease-expired' && n.failure.kind !== 'cancelled';
    if (score !== undefined) found.push({ config: effectiveParams(tree, n.id, space), score, nodeId: n.id });
    else if (failed) found.push({ config: effectiveParams(tree, n.id, space), score: 'failed', nodeId: n.id });
  }
  return found;
}

/** A configuration the model favours, and how strongly (log of the good/bad density ratio). */
export interface Favoured {
  config: ParamConfig;
  logRatio: number;
  good: number;
  bad: number;
}

/** Evaluations the model needs before it says anything: fewer would make its "good" set a single point. */
export const MODEL_MIN_EVALUATED = 8;

/**
 * The configurations a Parzen-estimator model of the evaluated ones favours (the tree-structured
 * Parzen estimator of Bergstra et al., 2011, one parameter at a time): evaluations are split into
 * the best quarter (good) and the rest (bad, failures included); each parameter gets a density
 * over good values l and over bad values g (Gaussian kernels on the normalised scale, smoothed
 * counts for choices, each with a uniform prior); candidates are drawn from l and ranked by
 * l/g. Returns the `count` best accepted candidates, or none before `MODEL_MIN_EVALUATED`
 * evaluations. Pure: the draws come from `random`.
 */
export function favouredConfigs(
  space: readonly Parameter[],
  evaluated: readonly Evaluated[],
  options: { count: number; draws?: number; random: () => number; accept: (config: ParamConfig) => boolean },
): Favoured[] {
  const model = parzenModel(space, evaluated);
  if (!model) return [];
  const found: Favoured[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < (options.draws ?? 32 * options.count); i++) {
    const config = model.sample(options.random);
    const key = configKey(config, space);
    if (seen.has(key) || !options.accept(config)) continue;
    seen.add(key);
    const logRatio = model.rate(config);
    found.push({ config, logRatio, good: model.good, bad: model.bad });
  }
  return found.sort((a, b) => b.logRatio - a.logRatio).slice(0, options.count);
}

/** The fitted model: per-parameter log density ratios (good over bad) and draws from the good densities. */
export interface ParzenModel {
  good: number;
  bad: number;
  logRatio(param: string, value: ParameterValue): number;
  /** The configuration's log density ratio: the sum over the parameters active in it. */
  rate(config: ParamConfig): number;
  sample(random: () => number): ParamConfig;
}

/**
 * Fits the model (see `favouredConfigs`), or undefined before `MODEL_MIN_EVALUATED` evaluations.
 * With `above`, "good" is every evaluation scoring above it (what beat an incumbent) when at least
 * two do, else the best quarter; evaluations' weights scale their kernels.
 */
export function parzenModel(space: readonly Parameter[], evaluated: readonly Evaluated[], options: { above?: number } = {}): ParzenModel | undefined {
  if (evaluated.length < MODEL_MIN_EVALUATED) return undefined;
  const rank = (e: Evaluated) => (e.score === 'failed' ? -Infinity : e.score);
  const scored = [...evaluated].sort((a, b) => rank(b) - rank(a));
  const beat = options.above === undefined ? 0 : scored.filter((e) => rank(e) > options.above!).length;
  const cut = beat >= 2 ? beat : Math.max(2, Math.ceil(0.25 * scored.filter((e) => e.score !== 'failed').length));
  const good = scored.slice(0, cut).filter((e) => e.score !== 'failed');
  const bad = scored.slice(good.length);
  if (good.length < 2 || bad.length === 0) return undefined;
  // A conditional parameter's densities are fitted on the evaluations where it was active: where it
  // was not, its value never reached the program and says nothing about it.
  const activeIn = new Map(evaluated.map((e) => [e, activeParameters(space, e.config)]));
  const where = (p: Parameter, es: readonly Evaluated[]) => es.filter((e) => activeIn.get(e)!.has(p.name));
  const densities = new Map(space.map((p) => [p.name, { good: density(p, where(p, good)), bad: density(p, where(p, bad)) }]));
  const logRatio = (param: string, value: ParameterValue) => {
    const d = densities.get(param);
    return d ? Math.log(d.good.at(value)) - Math.log(d.bad.at(value)) : 0;
  };
  return {
    good: good.length,
    bad: bad.length,
    logRatio,
    rate: (config) => {
      const active = activeParameters(space, config);
      return space.reduce((sum, p) => sum + (active.has(p.name) ? logRatio(p.name, config[p.name]!) : 0), 0);
    },
    sample: (random) => Object.fromEntries(space.map((p) => [p.name, densities.get(p.name)!.good.sample(random)])),
  };
}

interface Density {
  at(value: ParameterValue): number;
  sample(random: () => number): ParameterValue;
}

// A one-parameter density over some evaluations' values (each counting its weight), with a uniform prior worth one observation.
function density(p: Parameter, evaluations: readonly Evaluated[]): Density {
  const weights = evaluations.map((e) => e.weight ?? 1);
  const n = weights.reduce((a, w) => a + w, 0);
  if (n === 0) return uniform(p);
  if (isNumeric(p)) {
    const points = evaluations.map((e) => encode(p, Number(e.config[p.name])));
    const mean = points.reduce((a, u, i) => a + weights[i]! * u, 0) / n;
    const spread = Math.sqrt(points.reduce((a, u, i) => a + weights[i]! * (u - mean) ** 2, 0) / n);
    // Scott's rule, floored so a tight cluster still explores around itself.
    const h = Math.min(0.5, Math.max(0.05, 1.06 * spread * n ** -0.2));
    const kernel = (u: number, c: number) => Math.exp(-0.5 * ((u - c) / h) ** 2) / (h * Math.sqrt(2 * Math.PI));
    return {
      at: (value) => {
        const u = encode(p, Number(value));
        return (1 + points.reduce((a, c, i) => a + weights[i]! * kernel(u, c), 0)) / (n + 1);
      },
      sample: (random) => {
        // Each point with its weight, then the prior with weight 1.
        let pick = random() * (n + 1);
        let i = 0;
        while (i < points.length && pick >= weights[i]!) pick -= weights[i++]!;
        if (i === points.length) return decode(p, random());
        return decode(p, points[i]! + h * standardNormal(random));
      },
    };
  }
  const values: ParameterValue[] = p.type === 'choice' ? p.choices : [false, true];
  const weight = (v: ParameterValue) => (evaluations.reduce((a, e, i) => a + (e.config[p.name] === v ? weights[i]! : 0), 0) + 1 / values.length) / (n + 1);
  return {
    at: weight,
    sample: (random) => {
      let u = random();
      for (const v of values) {
        u -= weight(v);
        if (u <= 0) return v;
      }
      return values.at(-1)!;
    },
  };
}

// The prior alone: uniform over the (encoded) range or over the values.
function uniform(p: Parameter): Density {
  if (isNumeric(p)) return { at: () => 1, sample: (random) => decode(p, random()) };
  const values: ParameterValue[] = p.type === 'choice' ? p.choices : [false, true];
  return { at: () => 1 / values.length, sample: (random) => values[Math.floor(random() * values.length)]! };
}
