// In-process evaluation for bench/headroom.mjs: the candidate's generator and the trusted scorer's
// fixed model on the dev, gate or test birds, without sandboxes (for the long search behind the README's best-known configuration).
import { readFileSync } from 'node:fs';
import { synthesise } from './artifact/synth.mjs';
import { accuracyOf } from './evaluators/score.mjs';

const read = (f) => JSON.parse(readFileSync(new URL(f, import.meta.url), 'utf8')).rows;
const birdsOf = { dev: read('dev/birds.json'), gate: read('sealed/gate/birds.json'), test: read('sealed/test/birds.json') };

export async function evaluate(config, split, seed) {
  return accuracyOf(synthesise(config, seed), birdsOf[split]);
}
