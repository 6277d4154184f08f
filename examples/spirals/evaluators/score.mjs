// Shared by the dev, gate and test evaluators: trains the candidate's model (model.mjs and
// config.json in the current directory, i.e. the worktree) on data/train.json and prints
// the metric contract line {"metric":"accuracy","value":...} for the given evaluation rows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export async function score(evaluationFile) {
  const cwd = process.cwd();
  const config = JSON.parse(readFileSync(path.join(cwd, 'config.json'), 'utf8'));
  const { train } = await import(pathToFileURL(path.join(cwd, 'model.mjs')).href);
  const trainRows = JSON.parse(readFileSync(path.join(cwd, 'data/train.json'), 'utf8')).rows;
  const evalRows = JSON.parse(readFileSync(evaluationFile, 'utf8')).rows;
  const seed = Number(process.env.HYPOTREE_SEED ?? '1');
  const started = Date.now();
  const predict = train(config, trainRows, seed);
  let correct = 0;
  for (const row of evalRows) if ((predict(row) >= 0.5 ? 1 : 0) === row[row.length - 1]) correct += 1;
  console.log(`trained in ${Date.now() - started} ms with seed ${seed}: ${JSON.stringify(config)}`);
  console.log(JSON.stringify({ metric: 'accuracy', value: correct / evalRows.length }));
}
