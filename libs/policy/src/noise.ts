import tQuantile from '@stdlib/stats-base-dists-t-quantile';
import type { SearchTree } from '@hypotree/tree';

/** A pooled noise estimate: the variance of one run and the degrees of freedom it rests on. */
export interface Noise {
  variance: number;
  df: number;
}

/**
 * The variance of one run, pooled over groups of repeated runs (each group: one configuration,
 * several seeds): Σ(nᵢ−1)·sᵢ² / Σ(nᵢ−1). Groups of one run add nothing. Pooling over the whole
 * search is what keeps the estimate from collapsing to zero when two runs happen to agree.
 */
export function pooledNoise(groups: Iterable<readonly number[]>): Noise {
  let squares = 0;
  let df = 0;
  for (const values of groups) {
    if (values.length < 2) continue;
    const mean = values.reduce((a, v) => a + v, 0) / values.length;
    squares += values.reduce((a, v) => a + (v - mean) ** 2, 0);
    df += values.length - 1;
  }
  return { variance: df > 0 ? squares / df : 0, df };
}

/** The dev noise of a search: every evaluated node's dev runs (the baseline's included). */
export function devNoise(tree: SearchTree): Noise {
  return pooledNoise([...tree.nodes.values()].flatMap((n) => (n.result ? [n.result.runs.map((r) => r.value)] : [])));
}

/** The gate noise of a search: every gate evaluation's runs (the baseline's included). */
export function gateNoise(tree: SearchTree): Noise {
  return pooledNoise([...tree.nodes.values()].flatMap((n) => (n.gate ? [n.gate.runs.map((r) => r.value)] : [])));
}

/** The one-sided critical value for a difference at `level` (Student's t on `df` degrees of freedom); Infinity without any. */
export function criticalValue(level: number, df: number): number {
  return df > 0 ? tQuantile(1 - level, df) : Infinity;
}
