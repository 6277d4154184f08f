import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT_NODE_ID, type RecordedSearchEvent } from '@hypotree/events';
import { bestAdmitted, bestVerified, emptyTree, evolve, explainNode, lineage, treeView, type Explanation, type TreeView } from '@hypotree/tree';

/** One point of the best-so-far curves: after the n-th experiment outcome, at that time. */
export interface CurvePoint {
  experiments: number;
  /** Milliseconds since the search (or branch) started. */
  elapsedMs: number;
  /** The dev mean of the best admitted node so far (the baseline before any). */
  dev: number | null;
  /** The gate mean of the best verified node so far (null before any gate call). */
  gate: number | null;
  gateCalls: number;
}

/** Everything a search's page and report show, as one JSON object. */
export interface SearchPage {
  searchId: string;
  task: string;
  metric: string;
  direction: 'maximize' | 'minimize';
  tree: TreeView;
  curves: CurvePoint[];
  /** Root → best: what was admitted on the way, with the rule and the reason. */
  admittedPath: { nodeId: string; title: string; dev: number | null; gate: number | null; rule: string | null; reason: string | null }[];
  finalTest: { baseline: number; best: number; bestNodeId: string; relativeGain: number; interval: [number, number] | null; withinNoise: boolean | null } | null;
  policies: Record<string, { name: string; version: number; params: Record<string, unknown> }>;
  sandbox: string;
  /** The explain view of every node, by id. */
  nodes: Record<string, Explanation>;
}

/** A search's page data, from its history (pure). */
export function searchPage(history: readonly RecordedSearchEvent[]): SearchPage {
  let tree = emptyTree();
  const curves: CurvePoint[] = [];
  let experiments = 0;
  for (const event of history) {
    tree = evolve(tree, event);
    const outcome = event.type === 'ExperimentSucceeded' || event.type === 'ExperimentReused' || (event.type === 'ExperimentFailed' && event.data.kind !== 'lease-expired');
    if (!outcome && event.type !== 'GateEvaluated' && event.type !== 'HypothesisAdmitted') continue;
    if (outcome) experiments += 1;
    const start = Date.parse(tree.startedAt ?? event.metadata.at);
    const dev = bestAdmitted(tree)?.result?.mean ?? tree.nodes.get(ROOT_NODE_ID)?.result?.mean ?? null;
    const gate = bestVerified(tree)?.gate?.mean ?? null;
    curves.push({ experiments, elapsedMs: Date.parse(event.metadata.at) - start, dev, gate, gateCalls: tree.gateEvaluationsUsed });
  }
  const view = treeView(tree);
  const best = view.best ?? ROOT_NODE_ID;
  const admittedPath = lineage(tree, best).map((n) => ({
    nodeId: n.id,
    title: n.hypothesis?.title ?? 'baseline',
    dev: n.result?.mean ?? null,
    gate: n.gate?.mean ?? null,
    rule: n.decision?.rule ?? null,
    reason: n.decision?.reason ?? null,
  }));
  const t = tree.finalTest;
  const started = tree.started!;
  return {
    searchId: tree.searchId,
    task: started.task.name,
    metric: started.task.objective.metric,
    direction: started.task.objective.direction,
    tree: view,
    curves,
    admittedPath,
    finalTest: t
      ? { baseline: t.baseline.value, best: t.best.value, bestNodeId: t.best.nodeId, relativeGain: t.relativeGain, interval: t.uncertainty ? [t.uncertainty.low, t.uncertainty.high] : null, withinNoise: t.uncertainty?.withinNoise ?? null }
      : null,
    policies: started.policies,
    sandbox: started.trust?.sandbox ?? 'unknown',
    nodes: Object.fromEntries([...tree.nodes.keys()].map((id) => [id, explainNode(history, id, tree)])),
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The browser files a search page needs: the drawing libraries (from npm, never a CDN) and the page's own script and style. */
// A file of a package's dist folder (beside its main entry: the packages export no subpaths).
const dist = (pkg: string, file: string) => path.join(path.dirname(require.resolve(pkg)), file);

export const PAGE_ASSETS = {
  'd3-hierarchy.min.js': () => dist('d3-hierarchy', 'd3-hierarchy.min.js'),
  'uPlot.iife.min.js': () => dist('uplot', 'uPlot.iife.min.js'),
  'uPlot.min.css': () => dist('uplot', 'uPlot.min.css'),
  'search-view.js': () => path.join(here, '..', 'assets', 'search-view.js'),
  'search-view.css': () => path.join(here, '..', 'assets', 'search-view.css'),
} as const;
export type PageAsset = keyof typeof PAGE_ASSETS;

/** The text of one page asset. */
export function pageAsset(name: PageAsset): string {
  return readFileSync(PAGE_ASSETS[name](), 'utf8');
}

// JSON inside a <script> element: `<` escaped so no string in the data can close the element.
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/**
 * A search's page as HTML. `inline`: one self-contained file (the report: libraries, script, style
 * and data inside, opens from disk with no server); otherwise the dashboard's page, which loads its
 * assets from `/assets/` and its data from the API, and follows the search live over SSE.
 */
export function searchPageHtml(options: { inline: true; page: SearchPage } | { inline: false; searchId: string }): string {
  const title = options.inline ? `hypotree report: ${options.page.searchId}` : `hypotree: ${options.searchId}`;
  const css = (name: PageAsset) => (options.inline ? `<style>${pageAsset(name)}</style>` : `<link rel="stylesheet" href="/assets/${name}">`);
  const js = (name: PageAsset) => (options.inline ? `<script>${pageAsset(name).replace(/<\/script/gi, '<\\/script')}</script>` : `<script src="/assets/${name}"></script>`);
  const boot = options.inline
    ? `<script>hypotreeView.render(${scriptJson(options.page)}, { live: false });</script>`
    : `<script>hypotreeView.follow(${scriptJson(options.searchId)});</script>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${css('uPlot.min.css')}
${css('search-view.css')}
</head>
<body>
<header><h1 id="title">${escapeHtml(title)}</h1><p id="summary" aria-live="polite"></p></header>
<main>
<section aria-labelledby="tree-heading"><h2 id="tree-heading">Hypothesis tree</h2>
<p class="legend"><span class="admitted">admitted</span> <span class="rejected">rejected</span> <span class="failed">failed</span> <span class="pruned">pruned</span> <span class="running">running</span> <span class="best">best path</span> — arrow keys move, Enter opens a node, Space folds it</p>
<div id="tree"></div></section>
<section aria-labelledby="node-heading"><h2 id="node-heading">Node</h2><div id="node">Select a node.</div></section>
<section aria-labelledby="curves-heading"><h2 id="curves-heading">Best so far</h2>
<div id="curve-experiments"></div><div id="curve-time"></div>
<details><summary>The curves as a table</summary><table id="curve-table"></table></details></section>
<section aria-labelledby="path-heading"><h2 id="path-heading">The admitted path</h2><ol id="path"></ol></section>
<section aria-labelledby="setup-heading"><h2 id="setup-heading">Held-out test, policies, gate calls, sandbox</h2><div id="setup"></div></section>
</main>
${js('d3-hierarchy.min.js')}
${js('uPlot.iife.min.js')}
${js('search-view.js')}
${boot}
</body>
</html>
`;
}

/**
 * The comparison page of two searches (a search and its replay or branch): the best node, held-out
 * gain and cost of each side by side, then the decisions that differ and the nodes only one has.
 * Self-contained: it fetches `/api/compare/<a>/<b>` and renders tables, with no library.
 */
export function comparePageHtml(a: string, b: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>hypotree: ${escapeHtml(a)} vs ${escapeHtml(b)}</title>
<link rel="stylesheet" href="/assets/search-view.css">
</head>
<body>
<h1>${escapeHtml(a)} vs ${escapeHtml(b)}</h1>
<p id="verdict" aria-live="polite">loading…</p>
<table id="sides"></table>
<h2>Decisions that differ</h2><table id="changed"></table>
<h2>Nodes only one search has</h2><table id="only"></table>
<script>
(async () => {
  const res = await fetch('/api/compare/' + encodeURIComponent(${scriptJson(a)}) + '/' + encodeURIComponent(${scriptJson(b)}));
  const c = await res.json();
  const verdict = document.getElementById('verdict');
  if (!res.ok) { verdict.textContent = c.error; return; }
  const row = (table, cells, head) => { const tr = document.createElement('tr'); for (const text of cells) { const td = document.createElement(head ? 'th' : 'td'); td.textContent = text; tr.appendChild(td); } table.appendChild(tr); };
  const pct = (v) => (v * 100).toFixed(2) + '%';
  const held = (s) => s.heldOut ? pct(s.heldOut.gain) + (s.heldOut.low === undefined ? '' : ' [' + pct(s.heldOut.low) + ', ' + pct(s.heldOut.high) + ']') : 'not tested';
  const cost = (s) => s.cost.experiments + ' experiments (' + s.cost.experimentsReused + ' reused), ' + s.cost.gateEvaluations + ' gate calls (' + s.cost.gateEvaluationsReused + ' reused), ' + s.cost.modelCalls + ' model calls, ' + s.cost.tokens + ' tokens';
  const outcome = (n) => n.outcome + (n.rule ? ' (' + n.rule + ')' : '') + (n.pruned ? ', pruned' : '');
  verdict.textContent = c.identical ? 'identical, decision for decision' : c.same + ' nodes the same, ' + c.changed.length + ' changed, ' + c.onlyInA.length + ' only in A, ' + c.onlyInB.length + ' only in B';
  const sides = document.getElementById('sides');
  row(sides, ['', 'A: ' + c.a.searchId, 'B: ' + c.b.searchId], true);
  row(sides, ['best', c.a.bestNodeId + ' ' + c.a.bestTitle, c.b.bestNodeId + ' ' + c.b.bestTitle]);
  row(sides, ['held-out gain', held(c.a), held(c.b)]);
  row(sides, ['cost', cost(c.a), cost(c.b)]);
  const changed = document.getElementById('changed');
  row(changed, ['hypothesis', 'A', 'B', 'why A', 'why B'], true);
  for (const d of c.changed) row(changed, [d.a.title, d.a.nodeId + ': ' + outcome(d.a), d.b.nodeId + ': ' + outcome(d.b), d.a.reason || '', d.b.reason || '']);
  const only = document.getElementById('only');
  row(only, ['in', 'node', 'outcome', 'hypothesis'], true);
  for (const n of c.onlyInA) row(only, ['A', n.nodeId, outcome(n), n.title]);
  for (const n of c.onlyInB) row(only, ['B', n.nodeId, outcome(n), n.title]);
})();
</script>
</body>
</html>
`;
}
