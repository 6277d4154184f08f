// The trusted scorer of the dev, gate and test evaluations. It runs in its own sandbox with the
// evaluation data (HYPOTREE_DATA; sealed for gate and test) and never loads the candidate's code:
// it sends the candidate the features without labels, gets predictions back as data, and
// reports the accuracy on the scoring channel, which the candidate cannot write.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';

/** Splits labelled rows [...features, label] into feature rows and labels. */
export function splitLabels(table) {
  const labelIndex = table.columns ? table.columns.indexOf('label') : -1;
  const features = [];
  const labels = [];
  for (const row of table.rows) {
    const at = labelIndex >= 0 ? labelIndex : row.length - 1;
    features.push(row.filter((_, i) => i !== at));
    labels.push(row[at]);
  }
  return { features, labels };
}

/** Scores the candidate on the labelled rows of `file` (relative to the evaluator's data). */
export async function score(file) {
  const context = scoringContext();
  const { features, labels } = splitLabels(JSON.parse(readFileSync(path.join(context.data, file), 'utf8')));
  const result = await runCandidate({ command: 'node', args: ['predict.mjs'], input: { seed: context.seed, features } });
  const output = await outputAsJson(result);
  const predictions = output?.predictions;
  if (!Array.isArray(predictions) || predictions.length !== labels.length || !predictions.every((p) => typeof p === 'number' && Number.isFinite(p))) {
    await rejectOutput(`expected {"predictions": [${labels.length} finite numbers]}`);
    return;
  }
  let correct = 0;
  for (let i = 0; i < labels.length; i += 1) if ((predictions[i] >= 0.5 ? 1 : 0) === labels[i]) correct += 1;
  console.log(`seed ${context.seed}: ${correct}/${labels.length} correct (${result.durationMs} ms)`);
  await reportMetric(correct / labels.length);
}
