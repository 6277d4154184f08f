import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { RunScore } from '@hypotree/events';
import type { SearchTree } from '@hypotree/tree';

/** A variance estimate and the degrees of freedom it rests on. */
export interface Noise {
  variance: number;
  df: number;
}

/** Prior degrees of freedom each configuration's own spread is shrunk with (see `shrunk`). */
export const PRIOR_DF = 4;

/** The median of a χ² variable with 1 degree of freedom: a sample variance of two runs is σ²·χ²₁ distributed. */
const CHI2_1_MEDIAN = 0.4549;

function sampleVariance(values: readonly number[]): Noise {
  if (values.length < 2) return { variance: 0, df: 0 };
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  return { variance: values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1), df: values.length - 1 };
}

/**
 * The variance of one run pooled over groups of repeated runs (one configuration, several seeds):
 * Σ(nᵢ−1)·sᵢ² / Σ(nᵢ−1). Groups of one run add nothing.
 */
export function pooledNoise(groups: Iterable<readonly number[]>): Noise {
  let squares = 0;
  let df = 0;
  for (const values of groups) {
    const s = sampleVariance(values);
    squares += s.variance * s.df;
    df += s.df;
  }
  return { variance: df > 0 ? squares / df : 0, df };
}

/**
 * A typical configuration's run variance, robust to the few unstable ones: the median of the
 * groups' sample variances, rescaled by the median of χ²₁ (most groups have two runs). Unstable
 * configurations (a training that sometimes diverges) would dominate a mean and make every
 * threshold huge; the median is what most comparisons face.
 */
export function typicalNoise(groups: Iterable<readonly number[]>): Noise {
  const variances = [...groups].map(sampleVariance).filter((s) => s.df > 0).map((s) => s.variance).sort((a, b) => a - b);
  if (variances.length === 0) return { variance: 0, df: 0 };
  const mid = variances.length / 2;
  const median = variances.length % 2 === 1 ? variances[Math.floor(mid)]! : (variances[mid - 1]! + variances[mid]!) / 2;
  return { variance: median / CHI2_1_MEDIAN, df: variances.length };
}

/**
 * One configuration's run variance, its own spread shrunk toward the search's typical one with
 * `PRIOR_DF` prior degrees of freedom: two runs that happen to agree do not make a node noiseless,
 * and a node that is really unstable keeps most of its spread.
 */
export function shrunk(runs: readonly RunScore[], prior: Noise): Noise {
  const own = sampleVariance(runs.map((r) => r.value));
  const priorDf = prior.df > 0 ? PRIOR_DF : 0;
  const df = own.df + priorDf;
  return { variance: df > 0 ? (own.df * own.variance + priorDf * prior.variance) / df : 0, df };
}

/** The standard error of the difference of two means and its Welch–Satterthwaite degrees of freedom. */
export function differenceNoise(a: { noise: Noise; n: number }, b: { noise: Noise; n: number }): { se: number; df: number } {
  const va = a.noise.variance / a.n;
  const vb = b.noise.variance / b.n;
  const se = Math.sqrt(va + vb);
  const denominator = (a.noise.df > 0 ? va ** 2 / a.noise.df : 0) + (b.noise.df > 0 ? vb ** 2 / b.noise.df : 0);
  return { se, df: denominator > 0 ? (va + vb) ** 2 / denominator : 0 };
}

/** The dev groups of a search: every evaluated node's dev runs (the baseline's included). */
export function devGroups(tree: SearchTree): number[][] {
  return [...tree.nodes.values()].flatMap((n) => (n.result ? [n.result.runs.map((r) => r.value)] : []));
}

/** The gate groups of a search: every gate evaluation's runs (the baseline's included). */
export function gateGroups(tree: SearchTree): number[][] {
  return [...tree.nodes.values()].flatMap((n) => (n.gate ? [n.gate.runs.map((r) => r.value)] : []));
}

/** The one-sided critical value for a difference at `level` (Student's t on `df` degrees of freedom); Infinity without any. */
export function criticalValue(level: number, df: number): number {
  return df > 0 ? tQuantile(1 - level, df) : Infinity;
}
