import { loadTask, type Task } from '@hypotree/task';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A throwaway task folder: artifact, evaluator script outside the artifact, sealed data. */
export interface TaskFixture {
  root: string;
  task: Task;
  workdir: string;
  cleanup(): void;
}

/** The toy evaluator: prints accuracy = config.x / 10, or misbehaves on request via config.mode. */
const EVALUATOR = `
import { readFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
const config = JSON.parse(readFileSync('config.json', 'utf8'));
const sealed = process.env.HYPOTREE_SEALED_DATA;
const bonus = sealed ? Number(readFileSync(sealed + '/bonus.txt', 'utf8')) : 0;
if (config.mode === 'crash') { console.error('boom: deliberate crash'); process.exit(3); }
if (config.mode === 'silent') { console.log('accuracy is great'); process.exit(0); }
if (config.mode === 'hang') {
  spawn('/bin/sh', ['-c', 'sleep 1.5; touch /tmp/' + config.marker], { stdio: 'ignore' });
  setTimeout(() => {}, 60_000);
} else {
  const seed = Number(process.env.HYPOTREE_SEED);
  console.log('training with seed', seed);
  console.log(JSON.stringify({ metric: 'accuracy', value: config.x / 10 + bonus + seed / 1000 }));
}
`;

/** Creates a task in a temp folder (world-traversable so sandboxed uids reach it). */
export function createTaskFixture(overrides: Record<string, unknown> = {}): TaskFixture {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hypotree-fixture-'));
  chmodSync(root, 0o755);
  mkdirSync(path.join(root, 'artifact/src'), { recursive: true });
  mkdirSync(path.join(root, 'sealed/gate'), { recursive: true });
  mkdirSync(path.join(root, 'sealed/test'), { recursive: true });
  writeFileSync(path.join(root, 'artifact/config.json'), `${JSON.stringify({ x: 5, mode: 'ok', marker: '' }, null, 2)}\n`);
  writeFileSync(path.join(root, 'artifact/src/model.mjs'), 'export const model = 1;\n');
  writeFileSync(path.join(root, 'artifact/README.md'), 'toy artifact\n');
  writeFileSync(path.join(root, 'evaluate.mjs'), EVALUATOR);
  writeFileSync(path.join(root, 'sealed/gate/bonus.txt'), '100');
  writeFileSync(path.join(root, 'sealed/test/bonus.txt'), '200');
  const spec = {
    name: 'toy',
    repo: 'artifact',
    allowedPaths: ['config.json', 'src/**'],
    evaluators: {
      dev: { command: 'node', args: ['{task}/evaluate.mjs'], timeoutSec: 20 },
      gate: { command: 'node', args: ['{task}/evaluate.mjs'], sealedData: 'sealed/gate' },
      test: { command: 'node', args: ['{task}/evaluate.mjs'], sealedData: 'sealed/test' },
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
