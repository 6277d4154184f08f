// Headroom of a bundled task, measured in-process (no hypotree, no sandbox): a random search of
// `budget` configurations (chosen on dev, mean of seeds 1 and 2, as an experiment runs) against a
// long search (random draws, then coordinate moves around the best on dev), both scored on the test
// split as hypotree's final test scores (mean of seeds 1–4). Prints the fraction of the long
// search's test gain that each random search reaches, and records the long search's best in
// bench/best-known.json (what bench/ao.mjs divides by) unless the one recorded there, with the same
// baseline, has at least its gain. Run from the root:
//   node bench/headroom.mjs examples/<task> [budget=24] [repetitions=10] [long=300]
// The task folder (or bench/headroom/<task>.mjs) has `headroom.mjs` exporting
// `evaluate(config, split, seed)` → metric for split 'dev' or 'test': the code paths its scorers and candidate run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../examples/generate-support.mjs';
import { taskEvaluator } from './task-evaluator.mjs';

const [taskDir, budget = '24', repetitions = '10', long = '300'] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(path.join(taskDir, 'hypotree.task.json'), 'utf8'));
const evaluate = await taskEvaluator(taskDir, spec.name);
const space = spec.parameters.space;
const sign = spec.objective.direction === 'maximize' ? 1 : -1;

// The same draw as the random proposer (libs/research/src/offline/random-proposer.ts).
function sample(p, random) {
  if (p.type === 'float' || p.type === 'int') {
    const u = random();
    const raw = p.log ? Math.exp(Math.log(p.min) + u * (Math.log(p.max) - Math.log(p.min))) : p.min + u * (p.max - p.min);
    const value = p.type === 'int' ? Math.round(raw) : Number(raw.toPrecision(3));
    return Math.min(p.max, Math.max(p.min, value));
  }
  if (p.type === 'choice') return p.choices[Math.floor(random() * p.choices.length)];
  return random() < 0.5;
}
const defaults = Object.fromEntries(space.map((p) => [p.name, p.default]));
const cache = new Map();
async function score(config, split) {
  const key = `${split}:${JSON.stringify(config)}`;
  const seeds = split === 'test' ? [1, 2, 3, 4] : [1, 2];
  if (!cache.has(key)) {
    let sum = 0;
    for (const seed of seeds) sum += await evaluate(config, split, seed);
    cache.set(key, sum / seeds.length);
  }
  return cache.get(key);
}
const gain = (value, base) => (sign * (value - base)) / Math.abs(base);

const baseTest = await score(defaults, 'test');
const baseDev = await score(defaults, 'dev');
console.log(`baseline: dev ${baseDev.toFixed(4)} test ${baseTest.toFixed(4)}`);

// Long search: random draws, then coordinate moves (each parameter to each choice / a few scaled values).
const rand = mulberry32(999);
let best = { config: defaults, dev: baseDev };
const consider = async (config) => {
  const dev = await score(config, 'dev');
  if (sign * dev > sign * best.dev) best = { config, dev };
};
for (let i = 0; i < Number(long); i++) await consider(Object.fromEntries(space.map((p) => [p.name, sample(p, rand)])));
for (let round = 0; round < 3; round++) {
  for (const p of space) {
    const values = p.type === 'choice' ? p.choices : p.type === 'bool' ? [true, false] : [0.5, 0.8, 1.25, 2].map((f) => {
      const v = p.type === 'int' ? Math.round(best.config[p.name] * f) : Number((best.config[p.name] * f).toPrecision(3));
      return Math.min(p.max, Math.max(p.min, v));
    });
    for (const v of values) await consider({ ...best.config, [p.name]: v });
  }
}
const bestTest = await score(best.config, 'test');
console.log(`best known: dev ${best.dev.toFixed(4)} test ${bestTest.toFixed(4)} gain ${(gain(bestTest, baseTest) * 100).toFixed(1)}% ${JSON.stringify(best.config)}`);

const fractions = [];
for (let r = 0; r < Number(repetitions); r++) {
  const rr = mulberry32(1000 + r);
  let pick = { config: defaults, dev: baseDev };
  for (let i = 0; i < Number(budget); i++) {
    const config = Object.fromEntries(space.map((p) => [p.name, sample(p, rr)]));
    const dev = await score(config, 'dev');
    if (sign * dev > sign * pick.dev) pick = { config, dev };
  }
  const test = await score(pick.config, 'test');
  fractions.push(gain(test, baseTest) / gain(bestTest, baseTest));
  console.log(`random ${budget} #${r + 1}: dev ${pick.dev.toFixed(4)} test ${test.toFixed(4)} fraction ${fractions.at(-1).toFixed(2)}`);
}
const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
console.log(`random search of ${budget}: mean fraction of the best-known gain ${mean.toFixed(2)} over ${repetitions} repetitions`);
const file = path.resolve('bench/best-known.json');
const known = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
// A shorter or unluckier run never replaces a better recorded best (bench/ao.mjs divides by it).
const recorded = known[spec.name];
if (recorded && recorded.baselineTest === baseTest && recorded.gain >= gain(bestTest, baseTest)) {
  console.log(`bench/best-known.json unchanged: its best for ${spec.name} (gain ${(recorded.gain * 100).toFixed(1)}%, ${recorded.search}) is at least this run's`);
  process.exit(0);
}
known[spec.name] = {
  metric: spec.objective.metric,
  direction: spec.objective.direction,
  baselineTest: baseTest,
  bestTest,
  gain: gain(bestTest, baseTest),
  config: best.config,
  dev: best.dev,
  search: `node bench/headroom.mjs ${taskDir} ${budget} ${repetitions} ${long}`,
  randomSearchFraction: { budget: Number(budget), repetitions: Number(repetitions), mean, each: fractions },
};
writeFileSync(file, `${JSON.stringify(known, null, 2)}\n`);
