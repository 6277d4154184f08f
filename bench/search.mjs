// Search quality at equal budget on a bundled task: the offline proposer on the hypothesis tree
// against random search (random proposer, flat selection: every sample a child of the root), same
// admission policy, same budget, same seeds. Prints the held-out test score of each search's best
// node and the ratio of the mean held-out gains. Run after `npm run build`:
//   node bench/search.mjs [task=examples/spirals] [budget=24] [seeds=3]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [task = 'examples/spirals', budget = '24', seeds = '3'] = process.argv.slice(2);
const bin = path.resolve('apps/hypotree/bin/hypotree.js');

function search(label, extra, seed) {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `hypotree-bench-${label}-`));
  fs.chmodSync(workdir, 0o755);
  try {
    const out = execFileSync('node', [bin, 'run', task, '--budget', budget, '--seed', String(seed), '--workdir', workdir, '--json', ...extra], { encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').at(-1));
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

const arms = {
  'tree + offline proposer': [],
  'random search (flat)': ['--proposer', 'random', '--policy', 'selection.strategy=flat'],
};
const results = Object.fromEntries(Object.keys(arms).map((k) => [k, []]));
for (let seed = 1; seed <= Number(seeds); seed++) {
  for (const [label, extra] of Object.entries(arms)) {
    const s = search(label.split(' ')[0], extra, seed);
    results[label].push(s);
    console.log(`seed ${seed}  ${label.padEnd(24)} best ${s.best.nodeId.padEnd(8)} dev ${s.best.dev.toFixed(4)} test ${s.best.test.toFixed(4)} (baseline ${s.baseline.test.toFixed(4)}) gain ${(s.relativeGain * 100).toFixed(1)}%  admitted ${s.admitted} gate ${s.gateEvaluations}`);
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const [tree, random] = Object.values(results);
const gain = (rs) => mean(rs.map((r) => r.relativeGain));
console.log(`\nmean held-out gain over ${seeds} seeds, budget ${budget}: tree ${(gain(tree) * 100).toFixed(1)}%, random ${(gain(random) * 100).toFixed(1)}%`);
console.log(`ratio tree / random: ${(gain(tree) / gain(random)).toFixed(2)}  (wins: ${tree.filter((t, i) => t.best.test > random[i].best.test).length}/${seeds})`);
