// Folds a generated 100,000-event search into the tree projection and prints the time, next to a
// baseline measured in the same run: a plain loop over the same events that only counts them by
// type and node (the least any projection must do). Run after `npm run build`.
import { EventScript } from '@hypotree/tree/testing';
import { fold, searchCounts } from '@hypotree/tree';

const TARGET_EVENTS = 100_000;

/** A search shaped like a real one: a few children per admitted node, some failures and gates. */
function generateSearch() {
  const s = new EventScript('bench');
  s.start();
  s.baseline([0.7, 0.71, 0.69]);
  const expandable = ['0'];
  const childCount = new Map();
  let i = 0;
  while (s.events.length < TARGET_EVENTS) {
    const parent = expandable[(i * 7919) % expandable.length];
    const k = (childCount.get(parent) ?? 0) + 1;
    if (k > 8) { expandable.splice(expandable.indexOf(parent), 1); if (expandable.length === 0) expandable.push('0'); continue; }
    childCount.set(parent, k);
    const id = parent === '0' ? String(k) : `${parent}.${k}`;
    s.propose(id, parent, { lr: (i % 97) / 100, epochs: i % 50 });
    if (i % 5 === 0) s.failExperiment(id, 'crash');
    else {
      s.succeed(id, [0.7 + (i % 13) / 100, 0.7 + (i % 11) / 100, 0.7 + (i % 7) / 100]);
      if (i % 3 === 0) { s.gate(id, 0.7 + (i % 17) / 100); s.decide(id, true); expandable.push(id); }
      else s.decide(id, false);
    }
    i += 1;
  }
  return s.events;
}

function baselineLoop(events) {
  const byType = new Map();
  const byNode = new Map();
  for (const e of events) {
    byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
    const id = e.data.nodeId;
    if (id) byNode.set(id, (byNode.get(id) ?? 0) + 1);
  }
  return byNode.size;
}

function time(fn) {
  const start = process.hrtime.bigint();
  const result = fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

const events = generateSearch();
const rounds = 5;
const foldMs = [];
const baseMs = [];
let tree;
for (let r = 0; r < rounds; r++) {
  baseMs.push(time(() => baselineLoop(events)).ms);
  const t = time(() => fold(events));
  foldMs.push(t.ms);
  tree = t.result;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const counts = searchCounts(tree);
console.log(`tree fold: ${events.length} events, ${counts.nodes} nodes, ${counts.experiments} experiments`);
console.log(`  fold (median of ${rounds}): ${median(foldMs).toFixed(1)} ms  (${Math.round(events.length / (median(foldMs) / 1000)).toLocaleString('en')} events/s)`);
console.log(`  baseline counting loop:     ${median(baseMs).toFixed(1)} ms`);
console.log(`  ratio fold / baseline:      ${(median(foldMs) / median(baseMs)).toFixed(1)}x`);
