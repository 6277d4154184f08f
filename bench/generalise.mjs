// Does the offline search generalise to tasks it was never tuned on? A family of synthetic tasks
// with known optima (@hypotree/search/testing): the real decider, policies, proposer and distiller
// run in memory against each task's truth plus seeded noise. Prints, per task and budget, the mean
// fraction of the achievable held-out gain for hypotree's default search (HTR) and for a fair
// random search (independent uniform samples, best dev score so far), and how many HTR searches
// stopped early on their own. Tuning, held-out and fresh tasks are reported apart (see SYNTHETIC_TASKS).
// Run after `npm run build`:  node bench/generalise.mjs [seeds=20] [budgets=24,48] [parallel=2] [sets=tuning,held-out,fresh]
import { SYNTHETIC_TASKS, fairRandomSearch, syntheticSearch } from '@hypotree/search/testing';

const [seeds = '20', budgets = '24,48', parallel = '2', sets = 'tuning,held-out,fresh'] = process.argv.slice(2);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => Math.sqrt(xs.reduce((s, x) => s + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const fmt = (xs, digits = 2) => `${mean(xs).toFixed(digits)} ± ${sd(xs).toFixed(digits)}`;

const family = { tuning: SYNTHETIC_TASKS.tuning, 'held-out': SYNTHETIC_TASKS.heldOut, fresh: SYNTHETIC_TASKS.fresh };
for (const set of sets.split(',')) {
  const tasks = family[set];
  if (!tasks) throw new Error(`unknown task set '${set}' (tuning, held-out, fresh)`);
  console.log(`\n${set} tasks`);
  console.log('task       budget  HTR            fair random    HTR ≥ random  premature stops  stop reasons');
  const pooled = {};
  for (const task of tasks) {
    for (const budget of budgets.split(',').map(Number)) {
      const htr = [];
      const random = [];
      const reasons = new Map();
      let premature = 0;
      for (let seed = 1; seed <= Number(seeds); seed++) {
        const outcome = await syntheticSearch(task, { seed, budget, parallel: Number(parallel) });
        htr.push(outcome.fraction);
        if (outcome.premature) premature += 1;
        const reason = outcome.stopReason.split(':')[0];
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        random.push(fairRandomSearch(task, { seed, budget }).fraction);
      }
      (pooled[budget] ??= { htr: [], random: [], premature: 0, runs: 0 }).htr.push(...htr);
      pooled[budget].random.push(...random);
      pooled[budget].premature += premature;
      pooled[budget].runs += htr.length;
      const wins = htr.filter((h, i) => h >= random[i]).length;
      const why = [...reasons].map(([r, n]) => `${r} ${n}`).join(', ');
      console.log(`${task.name.padEnd(10)} ${String(budget).padStart(6)}  ${fmt(htr).padEnd(14)} ${fmt(random).padEnd(14)} ${`${wins}/${htr.length}`.padEnd(13)} ${`${premature}/${htr.length}`.padEnd(16)} ${why}`);
    }
  }
  for (const [budget, p] of Object.entries(pooled)) {
    console.log(`${set} mean at budget ${budget}: HTR ${fmt(p.htr, 3)}, fair random ${fmt(p.random, 3)}, ratio ${(mean(p.htr) / mean(p.random)).toFixed(3)}; premature stops ${p.premature}/${p.runs}`);
  }
}
