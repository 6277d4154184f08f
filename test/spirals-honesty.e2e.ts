// The spirals evaluators hand the candidate's model only what it may see: `train` gets the
// labelled training rows (data/train.json) and nothing else; `predict` gets a copy of each
// evaluation row's features, never its label; the sealed-data path is gone from the environment
// by the time the candidate's code runs. A candidate model is an allowed path, so an LLM or agent
// implementer may write exactly the cheats below.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const task = path.resolve('examples/spirals');
const FEATURES = 4; // x, y, n1, n2; the label is the fifth column of every data file

/** Runs an evaluator of the task with `cwd` as the worktree; returns the metric value it printed. */
function evaluate(cwd: string, evaluator: 'dev' | 'gate', seed = 1): number {
  const script = path.join(task, 'evaluators', evaluator === 'dev' ? 'dev.mjs' : 'sealed.mjs');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HYPOTREE_SEED: String(seed) };
  if (evaluator === 'gate') env.HYPOTREE_SEALED_DATA = path.join(task, 'sealed/gate');
  const run = spawnSync(process.execPath, [script], { cwd, env, encoding: 'utf8' });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const lines = run.stdout.trim().split('\n');
  return (JSON.parse(lines.at(-1)!) as { metric: string; value: number }).value;
}

describe('the spirals evaluators against a cheating candidate', () => {
  let worktree: string;
  beforeEach(() => {
    worktree = mkdtempSync(path.join(os.tmpdir(), 'hypotree-spirals-honesty-'));
    cpSync(path.join(task, 'artifact'), worktree, { recursive: true });
  });
  afterEach(() => rmSync(worktree, { recursive: true, force: true }));

  it('scores the shipped model exactly as before (dev seed 1: 0.5125, gate seed 1: 0.5025)', () => {
    expect(evaluate(worktree, 'dev')).toBe(0.5125);
    expect(evaluate(worktree, 'gate')).toBe(0.5025);
  });

  it('gives predict no label: a model that returns the label when it sees one scores at chance, not 1.0', () => {
    const trainRows = (JSON.parse(readFileSync(path.join(worktree, 'data/train.json'), 'utf8')) as { rows: unknown[] }).rows.length;
    writeFileSync(
      path.join(worktree, 'model.mjs'),
      [
        `export function train(config, rows) {`,
        // train sees labelled rows, and only the training data's
        `  if (rows.length !== ${trainRows} || rows.some((r) => r.length !== ${FEATURES + 1})) throw new Error('train got rows other than train.json');`,
        `  return (row) => {`,
        `    if (row.length > ${FEATURES}) { console.error('saw a label'); return row.at(-1); }`,
        `    row.push(1); // a copy: tampering cannot reach the evaluator's rows`,
        `    return 0;`,
        `  };`,
        `}`,
      ].join('\n'),
    );
    const dev = evaluate(worktree, 'dev');
    const gate = evaluate(worktree, 'gate');
    expect(dev).not.toBe(1);
    expect(gate).not.toBe(1);
    // Always predicting 0 is right exactly on the label-0 rows: about half of each balanced set.
    expect(dev).toBeGreaterThan(0.4);
    expect(dev).toBeLessThan(0.6);
    expect(gate).toBeLessThan(0.6);
  });

  it('hides the sealed-data path from the candidate under the gate evaluator', () => {
    writeFileSync(
      path.join(worktree, 'model.mjs'),
      [
        `import { readFileSync } from 'node:fs';`,
        `export function train() {`,
        `  const sealed = process.env.HYPOTREE_SEALED_DATA;`,
        `  const answers = new Map();`,
        `  if (sealed) for (const r of JSON.parse(readFileSync(sealed + '/points.json', 'utf8')).rows) answers.set(r.slice(0, ${FEATURES}).join(), r.at(-1));`,
        `  return (row) => answers.get(row.slice(0, ${FEATURES}).join()) ?? 0;`,
        `}`,
      ].join('\n'),
    );
    expect(evaluate(worktree, 'gate')).toBeLessThan(0.6);
  });
});
