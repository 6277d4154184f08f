import type { Direction, RunScore } from '@hypotree/events';
import type { Scores } from './model.js';

/** Mean and sample standard deviation of repeated runs. */
export function summarize(runs: RunScore[]): Scores {
  const values = runs.map((r) => r.value);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { runs, mean, stdev: Math.sqrt(variance) };
}

/** A metric value oriented so that larger is always better. */
export function orient(value: number, direction: Direction): number {
  return direction === 'maximize' ? value : -value;
}

/** The paper's relative gain of a candidate over a baseline: (S(M*) − S(M0)) / (|S(M0)| + ε), on oriented scores. */
export function relativeGain(candidate: number, baseline: number, direction: Direction, epsilon = 1e-9): number {
  const c = orient(candidate, direction);
  const b = orient(baseline, direction);
  return (c - b) / (Math.abs(b) + epsilon);
}
