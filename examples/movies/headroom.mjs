// In-process evaluation for bench/headroom.mjs: the candidate's recipe and the trusted scorer's
// metric on the dev, gate or test films, without sandboxes (for the long search behind the README's best-known configuration).
import { readFileSync } from 'node:fs';
import { train } from './artifact/model.mjs';
import { rmseOf } from './evaluators/score.mjs';

const read = (f) => JSON.parse(readFileSync(new URL(f, import.meta.url), 'utf8')).rows;
const trainRows = read('artifact/data/train.json');
const rowsOf = { dev: read('artifact/data/dev.json'), gate: read('sealed/gate/films.json'), test: read('sealed/test/films.json') };

export async function evaluate(config, split, seed) {
  const predict = train(config, trainRows, seed);
  const rows = rowsOf[split];
  return rmseOf(rows.map((r) => predict(r.slice(0, -1))), rows.map((r) => r.at(-1))).value;
}
