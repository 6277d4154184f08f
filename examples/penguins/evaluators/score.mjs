// The trusted scorer of the dev, gate and test evaluations. It runs in its own sandbox with the real
// birds (HYPOTREE_DATA; sealed for gate and test) and never loads the candidate's code: it asks the
// candidate for a synthetic training set, checks it, trains the task's fixed model on it (k nearest
// neighbours on standardised measurements) and reports that model's accuracy on the real birds on
// the scoring channel, which the candidate cannot write. The candidate never sees a real bird.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';

const MAX_ROWS = 3000;
const K = 7;

/** Why a synthetic training set is unusable, or nothing. */
export function invalidRows(rows) {
  if (!Array.isArray(rows) || rows.length < K || rows.length > MAX_ROWS) return `expected {"rows": [${K}..${MAX_ROWS} rows]}`;
  const bad = rows.findIndex((r) => !Array.isArray(r) || r.length !== 5 || !r.slice(0, 4).every((v) => typeof v === 'number' && Number.isFinite(v)) || ![0, 1, 2].includes(r[4]));
  return bad >= 0 ? `row ${bad}: expected [beakLength, beakDepth, flipperLength, bodyMass, species 0|1|2] with finite numbers` : undefined;
}

/** The fixed model: k nearest neighbours (k = 7) on measurements standardised by the training rows. */
export function accuracyOf(train, birds) {
  const mu = [0, 1, 2, 3].map((j) => train.reduce((a, r) => a + r[j], 0) / train.length);
  const sd = [0, 1, 2, 3].map((j) => Math.sqrt(train.reduce((a, r) => a + (r[j] - mu[j]) ** 2, 0) / train.length) || 1);
  const z = (r) => [0, 1, 2, 3].map((j) => (r[j] - mu[j]) / sd[j]);
  const points = train.map((r) => ({ x: z(r), label: r[4] }));
  let correct = 0;
  for (const bird of birds) {
    const x = z(bird);
    const nearest = points.map((p) => ({ d: p.x.reduce((a, v, j) => a + (v - x[j]) ** 2, 0), label: p.label })).sort((a, b) => a.d - b.d).slice(0, K);
    const votes = [0, 0, 0];
    nearest.forEach((n) => { votes[n.label] += 1; });
    if (votes.indexOf(Math.max(...votes)) === bird[4]) correct += 1;
  }
  return correct / birds.length;
}

/** Scores the candidate's synthetic data on the real birds of `file` (relative to the evaluator's data). */
export async function score(file) {
  const context = scoringContext();
  const { rows: birds } = JSON.parse(readFileSync(path.join(context.data, file), 'utf8'));
  const result = await runCandidate({ command: 'node', args: ['emit.mjs'], input: { seed: context.seed } });
  const output = await outputAsJson(result);
  const invalid = invalidRows(output?.rows);
  if (invalid) {
    await rejectOutput(invalid);
    return;
  }
  const accuracy = accuracyOf(output.rows, birds);
  console.log(`seed ${context.seed}: ${output.rows.length} synthetic rows, accuracy ${accuracy.toFixed(4)} on ${birds.length} real birds (${result.durationMs} ms)`);
  await reportMetric(accuracy);
}
