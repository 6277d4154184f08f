import { encode, isNumeric, type ParamConfig } from '../space.js';
import { OfflineDistiller } from './distiller.js';
import { OfflineProposer } from './proposer.js';
import { RandomProposer } from './random-proposer.js';
import { runSearch } from '../search.fixture.js';
import { demoSpace } from '../task.fixture.js';

// A smooth stand-in for a training run: accuracy falls off quadratically (in the normalised, log
// where declared, space) from an optimum none of the defaults is near; relu and batchnorm help.
const optimum: ParamConfig = { lr: 0.03, width: 128, dropout: 0.1, momentum: 0.9 };
function accuracy(config: ParamConfig): number {
  let loss = 0;
  for (const p of demoSpace) {
    if (isNumeric(p)) loss += (encode(p, Number(config[p.name])) - encode(p, Number(optimum[p.name]))) ** 2;
  }
  const activation = { sigmoid: 0, tanh: 0.03, relu: 0.05 }[String(config.activation)] ?? 0;
  return 0.9 - 0.3 * loss + activation + (config.batchnorm ? 0.02 : 0);
}

describe('offline proposer vs random search at equal budget', () => {
  it('finds a better configuration than random search on most seeds', async () => {
    const budget = 30;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const rows: { seed: number; offline: number; random: number }[] = [];
    for (const seed of seeds) {
      const offline = await runSearch({ proposer: new OfflineProposer(), distiller: new OfflineDistiller(), space: demoSpace, objective: accuracy, budget, seed });
      const random = await runSearch({ proposer: new RandomProposer(), space: demoSpace, objective: accuracy, budget, seed });
      expect(offline.experiments).toBe(budget);
      expect(random.experiments).toBe(budget);
      rows.push({ seed, offline: offline.best, random: random.best });
    }
    const wins = rows.filter((r) => r.offline > r.random).length;
    const mean = (k: 'offline' | 'random') => rows.reduce((a, r) => a + r[k], 0) / rows.length;
    if (process.env.HYPOTREE_PRINT_QUALITY) console.log(JSON.stringify({ budget, wins, of: rows.length, offline: mean('offline'), random: mean('random'), rows }));
    expect(wins).toBeGreaterThanOrEqual(6);
    expect(mean('offline')).toBeGreaterThan(mean('random'));
  });
});
