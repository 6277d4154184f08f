// Shared by the dev, gate and test evaluators: trains the candidate's model (model.mjs and
// config.json in the current directory, i.e. the worktree) on data/train.json and prints
// the metric contract line {"metric":"accuracy","value":...} for the given evaluation rows.
//
// Honesty: the candidate's code (model.mjs) is untrusted. `train` receives labelled rows of
// the training data only; `predict` receives a fresh copy of each evaluation row's features
// (the label column removed), never a label. Evaluation data is read, and the labels split
// off, before the candidate's code is loaded, and the sealed-data path is removed from the
// environment first. Known limits of in-process evaluation (the candidate runs in this
// process): it can print its own metric line (the last one wins, libs/task/src/metric.ts),
// exit early, or read files this process can read — see the task README.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

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

export async function score(evaluationFile) {
  const cwd = process.cwd();
  const evaluation = splitLabels(JSON.parse(readFileSync(evaluationFile, 'utf8')));
  const seed = Number(process.env.HYPOTREE_SEED ?? '1');
  delete process.env.HYPOTREE_SEALED_DATA;
  const config = JSON.parse(readFileSync(path.join(cwd, 'config.json'), 'utf8'));
  const trainRows = JSON.parse(readFileSync(path.join(cwd, 'data/train.json'), 'utf8')).rows;
  const { train } = await import(pathToFileURL(path.join(cwd, 'model.mjs')).href);
  const started = Date.now();
  const predict = train(config, trainRows, seed);
  let correct = 0;
  for (let i = 0; i < evaluation.features.length; i += 1) {
    const prediction = Number(predict([...evaluation.features[i]])) >= 0.5 ? 1 : 0;
    if (prediction === evaluation.labels[i]) correct += 1;
  }
  console.log(`trained in ${Date.now() - started} ms with seed ${seed}: ${JSON.stringify(config)}`);
  console.log(JSON.stringify({ metric: 'accuracy', value: correct / evaluation.features.length }));
}
