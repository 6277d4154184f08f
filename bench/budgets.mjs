// Search quality as the budget grows: the default search (tree, offline proposer, calibrated
// admission, gate budget half the experiments) on a task, for each budget and seed; prints each
// search's best node and held-out gain with its 95% interval, then the mean and spread per budget.
// Run after `npm run build`:  node bench/budgets.mjs [task=examples/spirals] [budgets=24,48,96] [seeds=5]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [task = 'examples/spirals', budgets = '24,48,96', seeds = '5'] = process.argv.slice(2);
const bin = path.resolve('apps/hypotree/bin/hypotree.js');
const pct = (x) => `${(100 * x).toFixed(1)}%`;

for (const budget of budgets.split(',')) {
  const gains = [];
  for (let seed = 1; seed <= Number(seeds); seed += 1) {
    const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-budgets-'));
    try {
      const out = execFileSync('node', [bin, 'run', task, '--budget', budget, '--seed', String(seed), '--workdir', workdir, '--json'], { encoding: 'utf8' });
      const s = JSON.parse(out.trim().split('\n').at(-1));
      gains.push(s.relativeGain);
      const interval = s.gainInterval ? `[${pct(s.gainInterval.low)}, ${pct(s.gainInterval.high)}]` : '';
      console.log(`budget ${budget} seed ${seed}: best ${s.best.nodeId.padEnd(7)} gain ${pct(s.relativeGain)} ${interval}  admitted ${s.admitted}, gate calls ${s.gateEvaluations}`);
    } finally {
      fs.rmSync(workdir, { recursive: true, force: true });
    }
  }
  const mean = gains.reduce((a, b) => a + b, 0) / gains.length;
  const sd = Math.sqrt(gains.reduce((a, g) => a + (g - mean) ** 2, 0) / Math.max(1, gains.length - 1));
  console.log(`budget ${budget}: mean held-out gain ${pct(mean)} ± ${pct(sd)} over ${gains.length} seeds\n`);
}
