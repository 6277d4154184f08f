// The trusted scorer of the dev, gate and test evaluations. It runs in its own sandbox with the
// evaluation films (HYPOTREE_DATA; sealed for gate and test) and never loads the candidate's code:
// it sends the candidate the films without their ratings, gets predicted ratings back as data, and
// reports the root-mean-square error on the scoring channel, which the candidate cannot write.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';

/** Root-mean-square error of the predictions against the ratings, or why the predictions are unusable. */
export function rmseOf(predictions, ratings) {
  if (!Array.isArray(predictions) || predictions.length !== ratings.length || !predictions.every((p) => typeof p === 'number' && Number.isFinite(p))) {
    return { invalid: `expected {"predictions": [${ratings.length} finite numbers]}` };
  }
  const sq = predictions.reduce((a, p, i) => a + (p - ratings[i]) ** 2, 0);
  return { value: Math.sqrt(sq / ratings.length) };
}

/** Scores the candidate on the labelled films of `file` (relative to the evaluator's data). */
export async function score(file) {
  const context = scoringContext();
  const { rows } = JSON.parse(readFileSync(path.join(context.data, file), 'utf8'));
  const films = rows.map((r) => r.slice(0, -1));
  const ratings = rows.map((r) => r.at(-1));
  const result = await runCandidate({ command: 'node', args: ['predict.mjs'], input: { seed: context.seed, films } });
  const output = await outputAsJson(result);
  const scored = rmseOf(output?.predictions, ratings);
  if (scored.invalid) {
    await rejectOutput(scored.invalid);
    return;
  }
  console.log(`seed ${context.seed}: rmse ${scored.value.toFixed(4)} on ${ratings.length} films (${result.durationMs} ms)`);
  await reportMetric(scored.value);
}
