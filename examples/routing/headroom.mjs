// In-process evaluation for bench/headroom.mjs: the candidate's heuristic and the trusted scorer's
// metric on the dev, gate or test instances, without sandboxes (for the long search behind the README's best-known configuration).
import { readFileSync } from 'node:fs';
import { tour } from './artifact/tour.mjs';
import { meanLength } from './evaluators/score.mjs';

const files = { dev: 'dev/instances.json', gate: 'sealed/gate/instances.json', test: 'sealed/test/instances.json' };
const instancesOf = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, JSON.parse(readFileSync(new URL(f, import.meta.url), 'utf8')).instances]));

export async function evaluate(config, split, seed) {
  const instances = instancesOf[split];
  return meanLength(instances, instances.map((i) => tour(config, i.cities, seed))).value;
}
