// The bundled routing task (harness engineering: a travelling-salesman heuristic): its shipped
// heuristic's score, one short search through the CLI, and a heuristic that skips cities to look short.
import { bundledTask } from './support/bundled-task.js';

describe('the bundled routing task', () => {
  const routing = bundledTask('routing');
  afterAll(() => routing.close());

  it('scores the shipped heuristic on dev (seed 1: mean tour 7.35677) and gate', async () => {
    const worktree = routing.worktree();
    const dev = await routing.score(worktree, 'dev');
    expect(dev).toMatchObject({ ok: true, runs: [{ seed: 1 }] });
    expect(dev.runs[0]!.value).toBeCloseTo(7.356774493, 8);
    const gate = await routing.score(worktree, 'gate');
    expect(gate.ok).toBe(true);
    expect(gate.runs[0]!.value).toBeGreaterThan(1);
  });

  // A search runs the scorers many times over: on a loaded machine it can outlast Jest's default 30 s.
  it('runs a search of 2 experiments to its held-out test', async () => {
    const summary = await routing.search(2);
    expect(summary).toMatchObject({ task: 'routing', metric: 'tour_length', direction: 'minimize', experiments: 2 });
    expect(summary.best.test).toBeGreaterThan(1);
  }, 120_000);

  it('fails, never scores, a heuristic whose tours skip cities (they would be shorter)', async () => {
    const worktree = routing.worktree();
    routing.write(worktree, 'tour.mjs', `export function tour(config, cities) {\n  return cities.map((_, i) => i).slice(0, 3);\n}\n`);
    const dev = await routing.score(worktree, 'dev');
    expect(dev).toMatchObject({ ok: false, kind: 'malformed-output' });
    expect(dev.runs).toEqual([]);
  });
});
