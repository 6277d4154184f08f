import { loadTask, type Task } from '@hypotree/task';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway task folder: artifact (with its candidate entry point), scorer outside the artifact, sealed data. */
export interface TaskFixture {
  root: string;
  task: Task;
  workdir: string;
  cleanup(): void;
}

/** The toy scorer (trusted): asks the candidate for its `x` and scores x / 10 + the sealed bonus + seed / 1000. */
const SCORER = `
import { readFileSync } from 'node:fs';
import { outputAsJson, rejectOutput, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';
const context = scoringContext();
const bonus = context.evaluation === 'dev' ? 0 : Number(readFileSync(context.data + '/bonus.txt', 'utf8'));
const result = await runCandidate({ command: 'node', args: ['candidate.mjs'], input: { seed: context.seed } });
const output = await outputAsJson(result);
if (typeof output?.x !== 'number') await rejectOutput('expected {"x": <number>}');
else {
  console.log('scored x =', output.x, 'with seed', context.seed);
  await reportMetric(output.x / 10 + bonus + context.seed / 1000);
}
`;

/** The toy candidate (untrusted, in the artifact): answers its config's x, or misbehaves on request via config.mode. */
const CANDIDATE = `
import { readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
const config = JSON.parse(readFileSync('config.json', 'utf8'));
if (config.mode === 'crash') { console.error('boom: deliberate crash'); process.exit(3); }
if (config.mode === 'silent') { console.log('accuracy is great'); process.exit(0); }
if (config.mode === 'hang') {
  spawn('/bin/sh', ['-c', 'sleep 1.5; touch /tmp/' + config.marker], { stdio: 'ignore', detached: true }).unref();
  setTimeout(() => {}, 60_000);
} else {
  console.error('answering for seed', JSON.parse(readFileSync(0, 'utf8')).seed);
  process.stdout.write(JSON.stringify({ x: config.x }));
}
`;

/** Creates a task in a temp folder. */
export function createTaskFixture(overrides: Record<string, unknown> = {}): TaskFixture {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hypotree-fixture-'));
  mkdirSync(path.join(root, 'artifact/src'), { recursive: true });
  mkdirSync(path.join(root, 'sealed/gate'), { recursive: true });
  mkdirSync(path.join(root, 'sealed/test'), { recursive: true });
  writeFileSync(path.join(root, 'artifact/config.json'), `${JSON.stringify({ x: 5, mode: 'ok', marker: '' }, null, 2)}\n`);
  writeFileSync(path.join(root, 'artifact/src/model.mjs'), 'export const model = 1;\n');
  writeFileSync(path.join(root, 'artifact/README.md'), 'toy artifact\n');
  writeFileSync(path.join(root, 'artifact/candidate.mjs'), CANDIDATE);
  writeFileSync(path.join(root, 'scorer.mjs'), SCORER);
  writeFileSync(path.join(root, 'sealed/gate/bonus.txt'), '100');
  writeFileSync(path.join(root, 'sealed/test/bonus.txt'), '200');
  const spec = {
    name: 'toy',
    repo: 'artifact',
    allowedPaths: ['config.json', 'src/**'],
    evaluators: {
      dev: { command: 'node', args: ['{task}/scorer.mjs'], timeoutSec: 20 },
      gate: { command: 'node', args: ['{task}/scorer.mjs'], sealedData: 'sealed/gate' },
      test: { command: 'node', args: ['{task}/scorer.mjs'], sealedData: 'sealed/test' },
    },
    objective: { metric: 'accuracy', direction: 'maximize' },
    budgets: { repeats: 2, experimentTimeoutSec: 30 },
    parameters: {
      file: 'config.json',
      space: [
        { name: 'x', type: 'float', min: 0, max: 10, default: 5 },
        { name: 'mode', type: 'choice', choices: ['ok', 'crash', 'silent', 'hang'], default: 'ok' },
      ],
    },
    ...overrides,
  };
  writeFileSync(path.join(root, 'hypotree.task.json'), JSON.stringify(spec, null, 2));
  const task = loadTask(path.join(root, 'hypotree.task.json'));
  return { root, task, workdir: path.join(root, '.hypotree'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
