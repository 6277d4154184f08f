// The bundled penguins task (data synthesis): the shipped generator's score, one short search through
// the CLI, and a generator that tries to hand the fixed model the real birds as its training set.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bundledTask } from './support/bundled-task.js';

describe('the bundled penguins task', () => {
  const penguins = bundledTask('penguins');
  afterAll(() => penguins.close());

  it('scores the shipped generator on dev (seed 1: accuracy 0.78182) and gate', async () => {
    const worktree = penguins.worktree();
    const dev = await penguins.score(worktree, 'dev');
    expect(dev).toMatchObject({ ok: true, runs: [{ seed: 1, value: 86 / 110 }] });
    const gate = await penguins.score(worktree, 'gate');
    expect(gate.ok).toBe(true);
    expect(gate.runs[0]!.value).toBeGreaterThan(0.34);
  });

  // A search runs the scorers many times over: on a loaded machine it can outlast Jest's default 30 s.
  it('runs a search of 2 experiments to its held-out test', async () => {
    const summary = await penguins.search(2);
    expect(summary).toMatchObject({ task: 'penguins', metric: 'accuracy', direction: 'maximize', experiments: 2 });
    expect(summary.best.test).toBeGreaterThan(0.34);
  }, 120_000);

  it('gives the generator no real bird: one that copies the sealed birds scores as the shipped one, and perfectly without the sandbox', async () => {
    const worktree = penguins.worktree();
    const sealed = path.join(penguins.task.dir, 'sealed', 'gate', 'birds.json');
    penguins.write(
      worktree,
      'synth.mjs',
      [
        `import { existsSync, readFileSync } from 'node:fs';`,
        `import { synthesise as honest } from './honest.mjs';`,
        `export function synthesise(config, seed) {`,
        `  return existsSync(${JSON.stringify(sealed)}) ? JSON.parse(readFileSync(${JSON.stringify(sealed)}, 'utf8')).rows : honest(config, seed);`,
        `}`,
      ].join('\n'),
    );
    penguins.write(worktree, 'honest.mjs', readFileSync(path.join(penguins.task.dir, 'artifact', 'synth.mjs'), 'utf8'));
    const shipped = await penguins.score(penguins.worktree(), 'gate');
    const gate = await penguins.score(worktree, 'gate');
    expect(gate).toMatchObject({ ok: true, runs: [{ seed: 1, value: shipped.runs[0]!.value }] });
    // Protection off: without the sandbox the same generator finds the sealed birds at their host path.
    const unsandboxed = await penguins.score(worktree, 'gate', { kind: 'none', reason: 'this test' });
    expect(unsandboxed.runs[0]!.value).toBeGreaterThan(0.95);
  });
});
