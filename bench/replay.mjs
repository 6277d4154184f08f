// The cost of a counterfactual replay against a rebuild, in one run (the machine is shared and noisy:
// read the ratios, not the times). A synthetic 1,000-experiment search is recorded in memory; then
// - rebuild: the tree folded from its events (what `hypotree rebuild` does after reading the log);
// - replay, recorded policies: the whole search loop re-decided from the family's memo (the decider,
//   policies, proposer and distiller all run again; every experiment, gate call and test is reused);
// - replay, another selection policy (greedy, no exploration): the same loop, reusing what the memo
//   holds and measuring the rest on the task's truth, as `hypotree replay --execute` would run it.
// The search loop itself (proposer, distiller, policies at every step) is what a replay pays for; the
// original search is timed too, with experiments that cost nothing, as the floor a replay cannot beat.
// Usage: node bench/replay.mjs [experiments=1000] [repetitions=3]. Run after `npm run build`.
import { performance } from 'node:perf_hooks';
import { FamilyMemo, searchCost } from '@hypotree/search';
import { syntheticSearch, valley } from '@hypotree/search/testing';
import { fold } from '@hypotree/tree';

const experiments = Number(process.argv[2] ?? 1000);
const repetitions = Number(process.argv[3] ?? 3);
const task = valley;
const options = { seed: 1, budget: experiments, parallel: 2 };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function timed(work) {
  const times = [];
  let result;
  for (let i = 0; i < repetitions; i++) {
    const t0 = performance.now();
    result = await work();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), result };
}

const t0 = performance.now();
const recorded = await syntheticSearch(task, options);
const recordMs = performance.now() - t0;
const history = recorded.history;
const memo = () => new FamilyMemo([{ searchId: recorded.tree.searchId, history }], { specHash: 'synthetic', evaluatorHash: 'synthetic', space: task.space, implementer: 'params' });
console.log(`recorded: ${searchCost(recorded.tree).experiments} experiments, ${history.length} events (task ${task.name}, seed ${options.seed})`);

const rebuild = await timed(async () => fold(history));
const build = await timed(async () => memo());
const same = await timed(async () => syntheticSearch(task, { ...options, memo: memo(), searchId: 'replay-same' }));
const greedy = await timed(async () => syntheticSearch(task, { ...options, memo: memo(), searchId: 'replay-greedy', policies: { selection: { strategy: 'greedy', exploration: 0 } } }));

const line = (name, ms, extra = '') => console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms  ${(ms / rebuild.ms).toFixed(2).padStart(7)}× rebuild${extra}`);
const reuse = (outcome) => {
  const c = searchCost(outcome.tree);
  return `  (${c.experimentsReused}/${c.experiments} experiments, ${c.gateEvaluationsReused}/${c.gateEvaluations} gate calls reused)`;
};
console.log(`median of ${repetitions}:`);
line('rebuild (fold the recorded events)', rebuild.ms);
line('the original search (experiments cost nothing)', recordMs, '  (once)');
line('build the family memo', build.ms);
line('replay, recorded policies (memo included)', same.ms + build.ms, reuse(same.result));
line('replay, greedy selection (memo included)', greedy.ms + build.ms, reuse(greedy.result));
