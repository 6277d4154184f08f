// The AO benchmark: hypotree's search (HTR) against its ablations and strong baselines on every
// bundled task, at equal experiment budgets, over seeds. Methods:
//   htr          the default search: offline proposer on the tree, best-first selection, insights
//   no-insights  the same without insights (--no-insights)
//   flat         the offline proposer, every hypothesis a child of the root
//   greedy       the offline proposer, always expanding the best admitted node
//   random       fair random search: independent uniform samples, each a child of the best node so
//                far on dev (so it is compared with the best so far, under the same admission and
//                gate rules and the same gate budget, not with the root as in bench/search.mjs)
//   tpe          a tree-structured Parzen estimator without the tree (--proposer tpe), laid out
//                like the random search: whole configurations, each a child of the best so far
//   balanced     (not in the default list) HTR with selection.lineageBalance=1: best-first
//                discounts a node by its direction's share of the tree
//   no-surrogate (not in the default list; in-memory engine) HTR's proposer without its surrogate:
//                the heuristic local search alone, as HTR was before the surrogate
//   set-aside    (not in the default list; in-memory engine) HTR whose proposer sets its surrogate
//                aside after 3 gate refusals in a row under a node, near misses included (HTR's
//                own set-aside counts only clear refusals)
//   no-set-aside (not in the default list; in-memory engine) HTR whose surrogate is never set
//                aside: HTR before its set-aside became the default
//   no-verdicts  (not in the default list; in-memory engine) HTR whose surrogate counts every
//                evaluation at its dev score, however the search decided on it (verdictsAfter Infinity)
//   one-design   (not in the default list; in-memory engine) HTR whose root is searched locally right
//                after a first design that admitted nothing, without a second design (redesigns 0)
// Two engines run the same searches:
//   memory (default)  the real search decider, policies, proposers and distiller in this process
//                     (@hypotree/search/testing searchInMemory), every event validated and folded as
//                     the log would; runs come from the task's own candidate and scorer code called in
//                     this process on the dev, gate or test split (the task's headroom.mjs), without
//                     sandboxes, worktrees or a log on disk: seconds per search, so 5 seeds at budget 96 fit
//   cli               `hypotree run … --json` as a user runs it: real sandboxes, evaluator processes and
//                     git worktrees; about 2 s per experiment (budget 24: 20–120 s per search)
// Reports, per task, budget and method: the relative held-out gain and the fraction of the
// achievable gain (bench/best-known.json, from bench/headroom.mjs) as mean ± sd over seeds, the gate
// calls used, HTR / best other method, and whether the issue's bar is met; writes the raw results
// (ao.json), the table (ao.md) and a plot of best-so-far dev gain against experiments (ao.svg).
// Run after `npm run build`:
//   node bench/ao.mjs [--quick] [--engine memory|cli] [--tasks spirals,movies,routing,penguins] [--budgets 24,96]
//                     [--seeds 5] [--first-seed 1] [--methods htr,no-insights,flat,greedy,random,tpe[,balanced]] [--out reports/ao]
//                     [--policy admission.gateRuns=8 …]   (set for every method)
//   node bench/ao.mjs --from reports/ao/ao.json   (the table and plot again from raw results, e.g. of a run cut short)
//   node bench/ao.mjs --from a/ao.json,b/ao.json --out c   (several runs as one, e.g. one per task run side by side)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePolicyAssignments } from '../apps/hypotree/dist/policy-flags.js';
import { OfflineDistiller, OfflineProposer, RandomProposer, TpeProposer } from '@hypotree/research';
import { ratioInterval, searchInMemory, seedBySeed } from '@hypotree/search/testing';
import { loadTask } from '@hypotree/task';
import { searchCounts } from '@hypotree/tree';
import { taskEvaluator } from './task-evaluator.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    tasks: { type: 'string' },
    budgets: { type: 'string' },
    seeds: { type: 'string' },
    'first-seed': { type: 'string' },
    methods: { type: 'string' },
    out: { type: 'string', default: 'reports/ao' },
    from: { type: 'string' },
    engine: { type: 'string', default: 'memory' },
    policy: { type: 'string', multiple: true, default: [] },
  },
});
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
// --quick: the pipeline end to end on the two fastest tasks, one seed, budget 4 (CI, under 3 minutes).
// --from a.json,b.json: the results of several runs (e.g. one per task, run side by side) as one.
const earlier = opts.from ? merged(list(opts.from).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')))) : undefined;
function merged(runs) {
  // Earlier tables' names too (`verdicts`), so their merges keep their order.
  const order = ['htr', 'no-insights', 'flat', 'greedy', 'random', 'tpe', 'no-surrogate', 'balanced', 'set-aside', 'no-set-aside', 'one-design', 'no-verdicts', 'verdicts'];
  const union = (key) => [...new Set(runs.flatMap((r) => r[key]))];
  const bundled = ['spirals', 'movies', 'routing', 'penguins'];
  const tasks = union('tasks').sort((a, b) => bundled.indexOf(a) - bundled.indexOf(b));
  return { tasks, budgets: union('budgets').sort((a, b) => a - b), seeds: Math.max(...runs.map((r) => r.seeds)), methods: union('methods').sort((a, b) => order.indexOf(a) - order.indexOf(b)), results: runs.flatMap((r) => r.results) };
}
const tasks = opts.tasks ? list(opts.tasks) : (earlier?.tasks ?? (opts.quick ? ['penguins', 'routing'] : ['spirals', 'movies', 'routing', 'penguins']));
const budgets = opts.budgets ? list(opts.budgets).map(Number) : (earlier?.budgets ?? (opts.quick ? [4] : [24, 96]));
const seeds = Number(opts.seeds ?? earlier?.seeds ?? (opts.quick ? 1 : 5));
const bestKnown = JSON.parse(fs.readFileSync('bench/best-known.json', 'utf8'));
const bin = path.resolve('apps/hypotree/bin/hypotree.js');

// Each method as the search settings it changes: proposer, policies, insights. The CLI engine passes them as flags.
const treeless = (budget) => ({ selection: { strategy: 'greedy', initialDesign: 0, maxChildren: budget } });
const METHODS = {
  htr: () => ({}),
  'no-insights': () => ({ insights: false }),
  flat: () => ({ policies: { selection: { strategy: 'flat' } } }),
  greedy: () => ({ policies: { selection: { strategy: 'greedy' } } }),
  random: (budget) => ({ proposer: 'random', policies: treeless(budget) }),
  tpe: (budget) => ({ proposer: 'tpe', policies: treeless(budget) }),
  balanced: () => ({ policies: { selection: { lineageBalance: 1 } } }),
  // HTR's proposer without its surrogate: the heuristic local search alone (in-memory engine only).
  'no-surrogate': () => ({ proposer: 'offline-heuristic' }),
  // HTR with its surrogate set aside after 3 gate refusals in a row under a node, near misses included (in-memory engine only).
  'set-aside': () => ({ proposer: 'offline-set-aside-all' }),
  // HTR whose surrogate is never set aside (HTR before its set-aside became the default; in-memory engine only).
  'no-set-aside': () => ({ proposer: 'offline-no-set-aside' }),
  // HTR whose surrogate counts every evaluation at its dev score (in-memory engine only).
  'no-verdicts': () => ({ proposer: 'offline-no-verdicts' }),
  // HTR whose root goes local right after a first design that admitted nothing (in-memory engine only).
  'one-design': () => ({ proposer: 'offline-one-design' }),
};
const fail = (message) => {
  throw new Error(message);
};
const flagsOf = ({ proposer, policies = {}, insights = true }) => [
  ...(proposer?.startsWith('offline-') ? fail(`the ${proposer} variant runs on the in-memory engine only`) : proposer ? ['--proposer', proposer] : []),
  ...(insights ? [] : ['--no-insights']),
  ...Object.entries(policies).flatMap(([policy, params]) => Object.entries(params).flatMap(([k, v]) => ['--policy', `${policy}.${k}=${v}`])),
];
// --policy admission.gateRuns=8 (repeatable): a policy parameter set for every method, on top of
// what the method sets (a sensitivity run: the benchmark under another admission, say). Parsed as
// `hypotree run --policy` parses it, so a parameter the policy does not have is refused.
const overrides = parsePolicyAssignments(opts.policy);
const settingsOf = (method, budget) => {
  const settings = METHODS[method](budget);
  const policies = { ...(settings.policies ?? {}) };
  for (const [policy, params] of Object.entries(overrides)) policies[policy] = { ...policies[policy], ...params };
  return { ...settings, policies };
};
const ISSUE_METHODS = ['htr', 'no-insights', 'flat', 'greedy', 'random', 'tpe'];
const methods = opts.methods ? list(opts.methods) : (earlier?.methods ?? ISSUE_METHODS);
if (!['memory', 'cli'].includes(opts.engine)) throw new Error(`unknown engine '${opts.engine}' (memory, cli)`);
for (const m of methods) if (!METHODS[m]) throw new Error(`unknown method '${m}' (${Object.keys(METHODS).join(', ')})`);
for (const t of tasks) if (!bestKnown[t]) throw new Error(`no best-known result for task '${t}' in bench/best-known.json: run node bench/headroom.mjs examples/${t}`);

const hypotree = (args) => execFileSync('node', [bin, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

// Best-so-far relative dev gain after each experiment, in the order experiments finished.
function curveOf(events, direction) {
  const mean = (runs) => runs.reduce((a, r) => a + r.value, 0) / runs.length;
  const sign = direction === 'maximize' ? 1 : -1;
  const baseline = mean(events.find((e) => e.type === 'BaselineMeasured').data.runs);
  let best = 0;
  const curve = [];
  for (const e of events) {
    if (e.type === 'ExperimentSucceeded') best = Math.max(best, (sign * (mean(e.data.runs) - baseline)) / Math.abs(baseline));
    if (e.type === 'ExperimentSucceeded' || e.type === 'ExperimentFailed') curve.push(best);
  }
  return curve;
}

const cliEvents = (searchId, workdir) =>
  hypotree(['events', searchId, '--workdir', workdir, '--type', 'BaselineMeasured', 'ExperimentSucceeded', 'ExperimentFailed', '--ndjson'])
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

// One retry after a pause: on a shared checkout another build can leave the CLI briefly unloadable.
async function search(task, method, budget, seed) {
  if (opts.engine === 'memory') return inMemory(task, method, budget, seed);
  try {
    return viaCli(task, method, budget, seed);
  } catch (error) {
    console.error(`${task} ${method} budget ${budget} seed ${seed} failed (${String(error.message).split('\n')[0]}); retrying in 30 s`);
    execFileSync('sleep', ['30']);
    return viaCli(task, method, budget, seed);
  }
}

const record = (task, method, budget, seed, started, s, curve) => ({
  task,
  method,
  budget,
  seed,
  engine: opts.engine,
  ...(opts.policy.length > 0 ? { policy: opts.policy } : {}),
  searchId: s.searchId,
  relativeGain: s.relativeGain,
  fraction: s.relativeGain / bestKnown[task].gain,
  baselineTest: s.baselineTest,
  bestTest: s.bestTest,
  bestNode: s.bestNode,
  experiments: s.experiments,
  admitted: s.admitted,
  gateEvaluations: s.gateEvaluations,
  seconds: (Date.now() - started) / 1000,
  curve,
});

function viaCli(task, method, budget, seed) {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), `hypotree-ao-${method}-`));
  fs.chmodSync(workdir, 0o755);
  try {
    const started = Date.now();
    const out = hypotree(['run', `examples/${task}`, '--budget', String(budget), '--seed', String(seed), '--workdir', workdir, '--json', ...flagsOf(settingsOf(method, budget))]);
    const summary = JSON.parse(out.trim().split('\n').at(-1));
    const s = { searchId: summary.searchId, relativeGain: summary.relativeGain, baselineTest: summary.baseline.test, bestTest: summary.best.test, bestNode: summary.best.nodeId, experiments: summary.experiments, admitted: summary.admitted, gateEvaluations: summary.gateEvaluations };
    return record(task, method, budget, seed, started, s, curveOf(cliEvents(summary.searchId, workdir), bestKnown[task].direction));
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

// The in-memory engine's problems: each task's spec, and its runs measured by its headroom module
// (the candidate's and the scorer's code, called here), memoised per (configuration, split, seed).
const problems = new Map();
async function problemOf(task) {
  if (problems.has(task)) return problems.get(task);
  const dir = path.resolve('examples', task);
  const evaluate = await taskEvaluator(dir, task);
  const cache = new Map();
  const problem = {
    task: loadTask(dir),
    measure: async (config, split, seeds) => {
      const out = [];
      for (const seed of seeds) {
        const key = `${split}:${seed}:${JSON.stringify(Object.entries(config).sort())}`;
        if (!cache.has(key)) cache.set(key, await evaluate(config, split, seed));
        out.push({ seed, value: cache.get(key) });
      }
      return out;
    },
  };
  problems.set(task, problem);
  return problem;
}

const PROPOSERS = {
  offline: () => new OfflineProposer(),
  'offline-heuristic': () => new OfflineProposer({ surrogate: false }),
  'offline-no-set-aside': () => new OfflineProposer({ setAsideAfter: 0 }),
  'offline-set-aside-all': () => new OfflineProposer({ nearMiss: Infinity }),
  'offline-no-verdicts': () => new OfflineProposer({ verdictsAfter: Infinity }),
  'offline-one-design': () => new OfflineProposer({ redesigns: 0 }),
  random: () => new RandomProposer(),
  tpe: () => new TpeProposer(),
};

async function inMemory(task, method, budget, seed) {
  const started = Date.now();
  const { proposer = 'offline', policies = {}, insights = true } = settingsOf(method, budget);
  // The CLI's defaults: two experiments at once, the gate budget a share of the experiments.
  const outcome = await searchInMemory(await problemOf(task), { seed, budget, parallel: 2, proposer: PROPOSERS[proposer](), distiller: new OfflineDistiller(), policies, insights, searchId: `ao-${task}-${method}-${budget}-${seed}` });
  const { tree } = outcome;
  const counts = searchCounts(tree);
  const final = tree.finalTest;
  const s = { searchId: tree.searchId, relativeGain: final.relativeGain, baselineTest: final.baseline.value, bestTest: final.best.value, bestNode: outcome.bestNodeId, experiments: counts.experiments, admitted: counts.admitted, gateEvaluations: counts.gateEvaluations };
  return record(task, method, budget, seed, started, s, curveOf(outcome.history, bestKnown[task].direction));
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (xs) => `${(mean(xs) * 100).toFixed(1)} ± ${(sd(xs) * 100).toFixed(1)}`;

fs.mkdirSync(opts.out, { recursive: true });
const results = earlier?.results ?? [];
const save = () => fs.writeFileSync(path.join(opts.out, 'ao.json'), `${JSON.stringify({ tasks, budgets, seeds, methods, bestKnown, results }, null, 1)}\n`);
// Seeds outermost, so that a run cut short still has every task and method at the seeds it finished.
// Results read with --from are written back as one file (a merge of several runs stays reproducible).
if (earlier) save();
for (const budget of earlier ? [] : budgets) {
  for (let seed = Number(opts['first-seed'] ?? 1); seed <= seeds; seed++) {
    for (const task of tasks) {
      for (const method of methods) {
        const r = await search(task, method, budget, seed);
        results.push(r);
        save();
        console.log(`${task.padEnd(9)} budget ${String(budget).padStart(3)} seed ${seed} ${method.padEnd(12)} gain ${(r.relativeGain * 100).toFixed(1).padStart(6)}%  fraction ${r.fraction.toFixed(2).padStart(5)}  gate ${String(r.gateEvaluations).padStart(2)}  best ${r.bestNode} (${r.seconds.toFixed(0)} s)`);
      }
    }
  }
}

// The table, HTR against the best other method by mean fraction, and the issue's bar. The ratio's
// interval (paired over seeds when both methods ran the same ones) and the seed-by-seed count are
// `ratioInterval` and `seedBySeed` of @hypotree/search/testing, where their null and hostile cases are specified.
const lines = [
  `| task | budget | method | held-out gain % (mean ± sd) | fraction of achievable % | gate calls |`,
  `|---|---|---|---|---|---|`,
];
const verdict = [];
for (const budget of budgets) {
  let above = 0;
  let below = 0;
  for (const task of tasks) {
    const of = (m) => results.filter((r) => r.task === task && r.budget === budget && r.method === m);
    for (const m of methods) {
      const rs = of(m);
      if (rs.length === 0) continue; // a method not run at this budget (results merged from several runs)
      lines.push(`| ${task} | ${budget} | ${m} | ${pct(rs.map((r) => r.relativeGain))} | ${pct(rs.map((r) => r.fraction))} | ${mean(rs.map((r) => r.gateEvaluations)).toFixed(1)} |`);
    }
    if (methods.includes('htr') && methods.length > 1) {
      const others = methods.filter((m) => m !== 'htr' && of(m).length > 0).map((m) => ({ m, f: mean(of(m).map((r) => r.fraction)) }));
      const best = others.reduce((a, b) => (b.f > a.f ? b : a));
      const htr = mean(of('htr').map((r) => r.fraction));
      // No other method gained: HTR's ratio is infinite if it gained, undefined (counted neither way) if not.
      const ratio = best.f > 0 ? htr / best.f : htr > 0 ? Infinity : NaN;
      if (ratio >= 1.2) above += 1;
      if (ratio < 0.95) below += 1;
      const n = of('htr').length;
      const [mine, theirs] = [of('htr'), of(best.m)].map((rs) => rs.map((r) => ({ seed: r.seed, score: r.fraction })));
      const interval = Number.isFinite(ratio) ? ratioInterval(mine, theirs) : undefined;
      const spread = interval ? ` (90 % bootstrap over seeds${interval.paired ? ', paired' : ''} ${interval.low.toFixed(2)}–${interval.high.toFixed(2)})` : '';
      const count = seedBySeed(mine, theirs);
      const seedwise = `; seed by seed HTR higher ${count.higher}, lower ${count.lower}, the same ${count.same}`;
      // What the bar asks of HTR here: 1.2× the best other, in fractions of the best-known gain (above 100 %: beating the best-known configuration on average).
      const needed = `; 1.2× would need ${(1.2 * best.f * 100).toFixed(1)}%`;
      verdict.push(`${task}, budget ${budget} (${n} seeds): HTR ${(htr * 100).toFixed(1)}% of achievable, best other ${best.m} ${(best.f * 100).toFixed(1)}%, ratio ${Number.isNaN(ratio) ? 'n/a' : Number.isFinite(ratio) ? ratio.toFixed(2) : '∞'}${spread}${seedwise}${needed}`);
    }
  }
  verdict.push(`budget ${budget}: HTR ≥ 1.2× the best other on ${above} of ${tasks.length} tasks, below 0.95× on ${below}`);
}
const table = `${lines.join('\n')}\n\n${verdict.map((v) => `- ${v}`).join('\n')}\n`;
fs.writeFileSync(path.join(opts.out, 'ao.md'), table);
console.log(`\n${table}`);

// The plot: one panel per task and budget, mean best-so-far dev gain against experiments per method.
const colours = { htr: '#d62728', 'no-insights': '#ff7f0e', flat: '#2ca02c', greedy: '#9467bd', random: '#7f7f7f', tpe: '#1f77b4', balanced: '#8c564b', 'no-surrogate': '#e377c2', 'set-aside': '#17becf', 'no-set-aside': '#bcbd22' };
const W = 320;
const H = 220;
const panels = budgets.flatMap((budget) => tasks.map((task) => ({ task, budget })));
const cols = tasks.length;
let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(cols * W, methods.length * 110 + 40)}" height="${budgets.length * H + 30}" font-family="sans-serif" font-size="11">\n`;
panels.forEach(({ task, budget }, k) => {
  const x0 = (k % cols) * W + 40;
  const y0 = Math.floor(k / cols) * H + 20;
  const w = W - 60;
  const h = H - 60;
  const curves = methods.map((m) => {
    const cs = results.filter((r) => r.task === task && r.budget === budget && r.method === m).map((r) => r.curve);
    const n = Math.max(0, ...cs.map((c) => c.length));
    return { m, points: Array.from({ length: n }, (_, i) => mean(cs.map((c) => c[Math.min(i, c.length - 1)] ?? 0))) };
  });
  const top = Math.max(1e-9, ...curves.flatMap((c) => c.points));
  svg += `<text x="${x0}" y="${y0 - 5}">${task}, budget ${budget}: mean best-so-far dev gain</text>\n`;
  svg += `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>\n`;
  svg += `<text x="${x0 + w / 2}" y="${y0 + h + 15}" text-anchor="middle">experiments (1–${budget})</text>\n`;
  svg += `<text x="${x0 - 4}" y="${y0 + 4}" text-anchor="end">${(top * 100).toFixed(0)}%</text><text x="${x0 - 4}" y="${y0 + h}" text-anchor="end">0</text>\n`;
  for (const { m, points } of curves) {
    if (points.length === 0) continue;
    const d = points.map((v, i) => `${i === 0 ? 'M' : 'L'}${(x0 + (i / Math.max(1, budget - 1)) * w).toFixed(1)},${(y0 + h - (v / top) * h).toFixed(1)}`).join(' ');
    svg += `<path d="${d}" fill="none" stroke="${colours[m]}" stroke-width="1.5"/>\n`;
  }
});
methods.forEach((m, i) => {
  svg += `<text x="${40 + i * 110}" y="${budgets.length * H + 20}" fill="${colours[m]}">— ${m}</text>\n`;
});
svg += '</svg>\n';
fs.writeFileSync(path.join(opts.out, 'ao.svg'), svg);
console.log(`raw results ${path.join(opts.out, 'ao.json')}, table ${path.join(opts.out, 'ao.md')}, plot ${path.join(opts.out, 'ao.svg')}`);
