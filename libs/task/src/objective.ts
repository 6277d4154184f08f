import type { Objective } from './schema.js';

/** A raw metric value turned so that larger is always better under the objective. */
export function orient(value: number, objective: Objective): number {
  return objective.direction === 'maximize' ? value : -value;
}
