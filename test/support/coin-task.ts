import { loadTask, type Task } from '@hypotree/task';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A task with nothing honest to find: the labels are fair coin flips, so an honest candidate
 * answers about half of them right, and only one that reads the labels scores near 1. Any score
 * above `CHEAT_SCORE` is proof of a leak. Dev labels live in the task folder (outside the
 * artifact), gate and test labels in sealed folders.
 */
export interface CoinTask {
  root: string;
  task: Task;
  workdir: string;
  cleanup(): void;
}

/** Labels per evaluation; honest accuracy is 0.5 ± 0.035. */
export const COIN_LABELS = 200;
/** A score no honest candidate reaches on coin flips. */
export const CHEAT_SCORE = 0.9;

const SCORER = `
import { readFileSync } from 'node:fs';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';
const context = scoringContext();
const labels = JSON.parse(readFileSync(context.data + '/labels.json', 'utf8'));
const ids = labels.map((_, i) => i);
const result = await runCandidate({ command: 'node', args: ['answer.mjs'], input: { seed: context.seed, ids }, timeoutSec: 20 });
const output = await outputAsJson(result);
const answers = output?.answers;
if (!Array.isArray(answers) || answers.length !== labels.length) await rejectOutput('expected {"answers": [' + labels.length + ' labels]}, got ' + result.output.slice(0, 80));
else {
  console.log('scored', answers.length, 'answers');
  await reportMetric(answers.filter((a, i) => a === labels[i]).length / labels.length);
}
`;

/** The honest candidate: answers 0 everywhere. */
export const HONEST_ANSWER = `
import { readFileSync } from 'node:fs';
const request = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify({ answers: request.ids.map(() => 0) }));
`;

function coins(seed: number): number[] {
  let a = seed >>> 0;
  return Array.from({ length: COIN_LABELS }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a >>> 31;
  });
}

/** Creates the coin task in a fresh temp folder. */
export function createCoinTask(): CoinTask {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hypotree-coin-'));
  for (const dir of ['artifact', 'dev', 'sealed/gate', 'sealed/test']) mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'artifact/answer.mjs'), HONEST_ANSWER);
  writeFileSync(path.join(root, 'artifact/config.json'), `${JSON.stringify({ bias: 0 })}\n`);
  writeFileSync(path.join(root, 'dev/labels.json'), JSON.stringify(coins(1)));
  writeFileSync(path.join(root, 'sealed/gate/labels.json'), JSON.stringify(coins(2)));
  writeFileSync(path.join(root, 'sealed/test/labels.json'), JSON.stringify(coins(3)));
  writeFileSync(path.join(root, 'scorer.mjs'), SCORER);
  const scorer = { command: 'node', args: ['{task}/scorer.mjs'], timeoutSec: 30 };
  const spec = {
    name: 'coin',
    description: 'Guess fair coin flips: nothing honest to find.',
    repo: 'artifact',
    allowedPaths: ['answer.mjs', 'config.json', 'notes/**'],
    evaluators: { dev: { ...scorer, data: 'dev' }, gate: { ...scorer, sealedData: 'sealed/gate' }, test: { ...scorer, sealedData: 'sealed/test' } },
    objective: { metric: 'accuracy', direction: 'maximize' },
    budgets: { repeats: 1, experimentTimeoutSec: 60 },
    parameters: { file: 'config.json', space: [{ name: 'bias', type: 'float', min: 0, max: 1, default: 0 }] },
  };
  writeFileSync(path.join(root, 'hypotree.task.json'), JSON.stringify(spec, null, 2));
  return { root, task: loadTask(root), workdir: path.join(root, '.hypotree'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
