import { loadTask, type Task } from '@hypotree/task';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Tasks whose truth the test knows, for admission under noise and dev-overfitting. The candidate
 * answers its config; the trusted scorer computes the score from it plus seeded noise (sd 0.01):
 * - `noise`: no parameter matters anywhere;
 * - `overfit`: raising `trap` adds up to +0.05 on dev only (it fits the dev data, nothing else),
 *   raising `honest` adds up to +0.03 on dev, gate and test alike.
 */
export type SyntheticKind = 'noise' | 'overfit';

export interface SyntheticTask {
  root: string;
  task: Task;
  workdir: string;
  cleanup(): void;
}

const SCORER = (kind: SyntheticKind, jitterMs: number) => `
import { createHash } from 'node:crypto';
import { outputAsJson, reportMetric, runCandidate, scoringContext } from '@hypotree/scorer';
const context = scoringContext();
// Uneven evaluation times (truly random, not seeded), so parallel experiments finish in any order.
if (context.evaluation === 'dev') await new Promise((done) => setTimeout(done, Math.random() * ${jitterMs}));
const config = await outputAsJson(await runCandidate({ command: 'node', args: ['answer.mjs'] }));
const digest = createHash('sha256').update(JSON.stringify([context.evaluation, context.seed, config])).digest();
const u1 = (digest.readUInt32BE(0) + 1) / 4294967297;
const u2 = digest.readUInt32BE(4) / 4294967296;
const noise = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
let value = 0.8 + 0.01 * noise;
if (${JSON.stringify(kind)} === 'overfit') {
  value += 0.03 * config.honest;
  if (context.evaluation === 'dev') value += 0.05 * config.trap;
}
await reportMetric(value);
`;

const ANSWER = `import { readFileSync } from 'node:fs';
process.stdout.write(readFileSync('config.json', 'utf8'));
`;

/** Creates a synthetic task of `kind` in a fresh temp folder; `jitterMs` makes each dev evaluation sleep a random time up to it. */
export function createSyntheticTask(kind: SyntheticKind, options: { jitterMs?: number } = {}): SyntheticTask {
  const root = mkdtempSync(path.join(os.tmpdir(), `hypotree-${kind}-`));
  for (const dir of ['artifact', 'sealed/gate', 'sealed/test']) mkdirSync(path.join(root, dir), { recursive: true });
  writeFileSync(path.join(root, 'artifact/answer.mjs'), ANSWER);
  writeFileSync(path.join(root, 'artifact/config.json'), JSON.stringify({ trap: 0, honest: 0, other: 0.5 }));
  writeFileSync(path.join(root, 'sealed/gate/README'), 'the gate of a synthetic task: the scorer computes the truth\n');
  writeFileSync(path.join(root, 'sealed/test/README'), 'the test of a synthetic task: the scorer computes the truth\n');
  writeFileSync(path.join(root, 'scorer.mjs'), SCORER(kind, options.jitterMs ?? 0));
  const scorer = { command: 'node', args: ['{task}/scorer.mjs'], timeoutSec: 30 };
  const spec = {
    name: kind,
    repo: 'artifact',
    allowedPaths: ['config.json'],
    evaluators: { dev: scorer, gate: { ...scorer, sealedData: 'sealed/gate' }, test: { ...scorer, sealedData: 'sealed/test' } },
    objective: { metric: 'score', direction: 'maximize' },
    budgets: { repeats: 2, experimentTimeoutSec: 60 },
    parameters: {
      file: 'config.json',
      space: [
        { name: 'trap', type: 'float', min: 0, max: 1, default: 0 },
        { name: 'honest', type: 'float', min: 0, max: 1, default: 0 },
        { name: 'other', type: 'float', min: 0, max: 1, default: 0.5 },
      ],
    },
  };
  writeFileSync(path.join(root, 'hypotree.task.json'), JSON.stringify(spec, null, 2));
  return { root, task: loadTask(root), workdir: path.join(root, '.hypotree'), cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
