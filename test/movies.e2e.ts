// The bundled movies task (model training on a real data set): its shipped recipe's score, one
// short search through the CLI, and a candidate that prints its own metric instead of predictions.
import { bundledTask } from './support/bundled-task.js';

describe('the bundled movies task', () => {
  const movies = bundledTask('movies');
  afterAll(() => movies.close());

  it('scores the shipped recipe on dev (seed 1: rmse 0.90996) and gate', async () => {
    const worktree = movies.worktree();
    const dev = await movies.score(worktree, 'dev');
    expect(dev).toMatchObject({ ok: true, runs: [{ seed: 1 }] });
    expect(dev.runs[0]!.value).toBeCloseTo(0.9099607298, 8);
    const gate = await movies.score(worktree, 'gate');
    expect(gate.ok).toBe(true);
    expect(gate.runs[0]!.value).toBeGreaterThan(0.5);
  });

  // A search runs the scorers many times over: on a loaded machine it can outlast Jest's default 30 s.
  it('runs a search of 2 experiments to its held-out test', async () => {
    const summary = await movies.search(2);
    expect(summary).toMatchObject({ task: 'movies', metric: 'rmse', direction: 'minimize', experiments: 2 });
    expect(summary.best.test).toBeGreaterThan(0);
    expect(summary.baseline.test).toBeGreaterThan(0);
  }, 120_000);

  it('fails, never scores, a candidate that prints a perfect rmse instead of predictions', async () => {
    const worktree = movies.worktree();
    movies.write(worktree, 'predict.mjs', `console.log(JSON.stringify({ metric: 'rmse', value: 0 }));\n`);
    const dev = await movies.score(worktree, 'dev');
    expect(dev).toMatchObject({ ok: false, kind: 'malformed-output' });
    expect(dev.runs).toEqual([]);
  });
});
