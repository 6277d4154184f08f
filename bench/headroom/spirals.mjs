// In-process evaluation of examples/spirals for bench/headroom.mjs (that task folder stays as it
// is): its candidate's model and its scorer's accuracy on dev, gate or test, without sandboxes.
import { readFileSync } from 'node:fs';
import { train } from '../../examples/spirals/artifact/model.mjs';

const read = (f) => JSON.parse(readFileSync(new URL(`../../examples/spirals/${f}`, import.meta.url), 'utf8')).rows;
const trainRows = read('artifact/data/train.json');
const rowsOf = { dev: read('artifact/data/dev.json'), gate: read('sealed/gate/points.json'), test: read('sealed/test/points.json') };

export async function evaluate(config, split, seed) {
  const predict = train(config, trainRows, seed);
  const rows = rowsOf[split];
  let correct = 0;
  for (const r of rows) if ((Number(predict(r.slice(0, -1))) >= 0.5 ? 1 : 0) === r.at(-1)) correct += 1;
  return correct / rows.length;
}
