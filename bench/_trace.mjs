import fs from 'node:fs'; import path from 'node:path'; import { pathToFileURL } from 'node:url';
import { OfflineDistiller, OfflineProposer } from '@hypotree/research';
import { searchInMemory } from '@hypotree/search/testing';
import { loadTask } from '@hypotree/task';
const [task, budget, seed, variant] = process.argv.slice(2);
const dir = path.resolve('examples', task);
const { evaluate } = await import(pathToFileURL(path.join(dir, 'headroom.mjs')).href);
const cache = new Map();
const problem = { task: loadTask(dir), measure: async (config, split, seeds) => { const out = []; for (const s of seeds) { const k = `${split}:${s}:${JSON.stringify(Object.entries(config).sort())}`; if (!cache.has(k)) cache.set(k, await evaluate(config, split, s)); out.push({ seed: s, value: cache.get(k) }); } return out; } };
const opts = variant === 'near' ? { setAsideAfter: 3, nearMiss: 0.5 } : variant === 'aside' ? { setAsideAfter: 3 } : {};
const outcome = await searchInMemory(problem, { seed: Number(seed), budget: Number(budget), parallel: 2, proposer: new OfflineProposer(opts), distiller: new OfflineDistiller(), policies: {}, insights: true, searchId: 't' });
const { tree } = outcome;
const root = tree.nodes.get('0');
console.log('root dev', root.result.mean.toFixed(4), 'gate', root.gate?.mean.toFixed(4));
for (const n of tree.nodes.values()) {
  if (n.id === '0') continue;
  const d = n.decision;
  console.log(n.id.padEnd(8), (n.result?.mean ?? NaN).toFixed(4), (n.gate?.mean ?? NaN).toFixed(4), (d?.rule ?? n.status).padEnd(22), d?.deltas?.dev?.toFixed(4) ?? '', JSON.stringify(d?.deltas) ?? '', JSON.stringify(n.hypothesis.change.set).slice(0, 110), n.hypothesis.mechanism.includes('set aside') ? 'ASIDE' : '');
}
