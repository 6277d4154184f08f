// The trusted scorer of the dev, gate and test evaluations. It runs in its own sandbox with the
// instances (HYPOTREE_DATA; sealed for gate and test) and never loads the candidate's code: it sends
// the candidate the cities, checks that every tour it gets back visits each city once, and reports
// the mean tour length on the scoring channel, which the candidate cannot write.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';

/** Mean length of the closed tours over the instances, or why a tour is invalid. */
export function meanLength(instances, tours) {
  if (!Array.isArray(tours) || tours.length !== instances.length) return { invalid: `expected {"tours": [${instances.length} arrays]}` };
  let total = 0;
  for (let k = 0; k < instances.length; k += 1) {
    const { cities } = instances[k];
    const order = tours[k];
    const seen = new Set(Array.isArray(order) ? order : []);
    if (!Array.isArray(order) || order.length !== cities.length || seen.size !== cities.length || !order.every((c) => Number.isInteger(c) && c >= 0 && c < cities.length)) {
      return { invalid: `instance ${k}: expected a permutation of the ${cities.length} city indices` };
    }
    for (let i = 0; i < order.length; i += 1) {
      const [a, b] = [cities[order[i]], cities[order[(i + 1) % order.length]]];
      total += Math.hypot(a[0] - b[0], a[1] - b[1]);
    }
  }
  return { value: total / instances.length };
}

/** Scores the candidate on the instances of `file` (relative to the evaluator's data). */
export async function score(file) {
  const context = scoringContext();
  const { instances } = JSON.parse(readFileSync(path.join(context.data, file), 'utf8'));
  const result = await runCandidate({ command: 'node', args: ['solve.mjs'], input: { seed: context.seed, instances } });
  const output = await outputAsJson(result);
  const scored = meanLength(instances, output?.tours);
  if (scored.invalid) {
    await rejectOutput(scored.invalid);
    return;
  }
  console.log(`seed ${context.seed}: mean tour length ${scored.value.toFixed(4)} over ${instances.length} instances (${result.durationMs} ms)`);
  await reportMetric(scored.value);
}
