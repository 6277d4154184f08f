// The spirals scorer against cheating candidates. The scorer never loads the candidate's code: it
// sends `predict.mjs` the features without labels and scores the predictions it gets back. A
// candidate model is an allowed path, so an LLM or agent implementer may write exactly these cheats.
import { loadTask } from '@hypotree/task';
import { evaluate, sandboxMode, type SandboxMode } from '@hypotree/workspace';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const task = loadTask(path.resolve('examples/spirals'));

function scoreOf(worktree: string, which: 'dev' | 'gate', sandbox: SandboxMode = sandboxMode()) {
  return evaluate({ task, worktree, scratch: os.tmpdir(), deadline: Date.now() + 60_000, sandbox }, which, [1]);
}

describe('the spirals scorer against a cheating candidate', () => {
  let worktree: string;
  beforeEach(() => {
    worktree = mkdtempSync(path.join(os.tmpdir(), 'hypotree-spirals-honesty-'));
    cpSync(path.join(task.dir, 'artifact'), worktree, { recursive: true });
  });
  afterEach(() => rmSync(worktree, { recursive: true, force: true }));

  it('scores the shipped model as before the trusted protocol (dev seed 1: 0.5125, gate seed 1: 0.5025)', async () => {
    expect(await scoreOf(worktree, 'dev')).toMatchObject({ ok: true, runs: [{ seed: 1, value: 0.5125 }], sandbox: 'allowlist' });
    expect(await scoreOf(worktree, 'gate')).toMatchObject({ ok: true, runs: [{ seed: 1, value: 0.5025 }] });
  });

  it('gives the candidate no label and no sealed path: a model that looks for either scores at chance', async () => {
    writeFileSync(
      path.join(worktree, 'model.mjs'),
      [
        `import { existsSync, readFileSync } from 'node:fs';`,
        `export function train() {`,
        `  const answers = new Map();`,
        `  for (const file of [process.env.HYPOTREE_DATA, process.env.HYPOTREE_SEALED_DATA, '${task.sealed.gate}'].filter(Boolean).map((d) => d + '/points.json')) {`,
        `    if (existsSync(file)) for (const r of JSON.parse(readFileSync(file, 'utf8')).rows) answers.set(r.slice(0, 4).join(), r.at(-1));`,
        `  }`,
        `  return (row) => (row.length > 4 ? row.at(-1) : answers.get(row.slice(0, 4).join()) ?? 0);`,
        `}`,
      ].join('\n'),
    );
    const gate = await scoreOf(worktree, 'gate');
    expect(gate.ok).toBe(true);
    expect(gate.runs[0]!.value).toBeLessThan(0.6);
    // Protection off: without the sandbox the same model finds the sealed file at its host path.
    const unsandboxed = await scoreOf(worktree, 'gate', { kind: 'none', reason: 'this test' });
    expect(unsandboxed.runs[0]!.value).toBe(1);
  });

  it('fails, never scores, a candidate that prints its own metric instead of predictions', async () => {
    writeFileSync(path.join(worktree, 'predict.mjs'), `console.log(JSON.stringify({ metric: 'accuracy', value: 1 }));\n`);
    const dev = await scoreOf(worktree, 'dev');
    expect(dev).toMatchObject({ ok: false, kind: 'malformed-output' });
    expect(dev.runs).toEqual([]);
  });
});
