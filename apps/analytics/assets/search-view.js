// A search's page in the browser: the hypothesis tree (layout by d3-hierarchy), the best-so-far
// curves (uPlot), the node pane (the explain view), the admitted path and the setup. Plain browser
// script, no build step: the same file serves the live dashboard and is inlined into `hypotree report`.
/* global d3, uPlot */
(function () {
  'use strict';
  const state = { page: null, collapsed: new Set(), selected: null, focused: null, charts: [] };
  const $ = (id) => document.getElementById(id);
  const fmt = (v) => (v === null || v === undefined ? '–' : Math.abs(v) >= 1e-3 || v === 0 ? String(Number(v.toPrecision(4))) : v.toExponential(2));
  const pct = (v) => `${(v * 100).toFixed(2)}%`;
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  };
  const svg = (tag, attrs = {}) => {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };

  function outcome(n) {
    if (n.pruned) return 'pruned';
    if (n.id === '0') return 'admitted';
    if (n.status === 'proposed' || n.status === 'running' || n.status === 'evaluated') return 'running';
    return n.status; // admitted, rejected, failed
  }

  // The nodes on the way from the root to the best node.
  function bestPath(page) {
    const byId = new Map(page.tree.nodes.map((n) => [n.id, n]));
    const path = new Set();
    for (let at = byId.get(page.tree.best ?? '0'); at; at = at.parentId === null ? undefined : byId.get(at.parentId)) path.add(at.id);
    return path;
  }

  function hierarchy(page) {
    const byId = new Map(page.tree.nodes.map((n) => [n.id, n]));
    const build = (n) => ({ node: n, children: state.collapsed.has(n.id) ? [] : n.children.map((id) => build(byId.get(id))) });
    return d3.hierarchy(build(byId.get('0')));
  }

  function renderTree(page) {
    const container = $('tree');
    const root = hierarchy(page);
    d3.tree().nodeSize([26, 150])(root);
    const nodes = root.descendants();
    const xs = nodes.map((d) => d.x);
    const ys = nodes.map((d) => d.y);
    const top = Math.min(...xs) - 20;
    const height = Math.max(...xs) - top + 20;
    const width = Math.max(...ys) + 260;
    const onPath = bestPath(page);
    const canvas = svg('svg', { width, height, viewBox: `-20 ${top} ${width} ${height}`, role: 'tree', 'aria-label': `hypothesis tree of ${page.searchId}: ${page.tree.nodes.length} nodes` });
    for (const link of root.links()) {
      const best = onPath.has(link.source.data.node.id) && onPath.has(link.target.data.node.id);
      canvas.append(svg('line', { x1: link.source.y, y1: link.source.x, x2: link.target.y, y2: link.target.x, class: best ? 'link best' : 'link' }));
    }
    for (const d of nodes) {
      const n = d.data.node;
      const folded = state.collapsed.has(n.id) && n.children.length > 0;
      const g = svg('g', {
        class: `node ${outcome(n)}${onPath.has(n.id) ? ' on-best' : ''}${state.selected === n.id ? ' selected' : ''}`,
        transform: `translate(${d.y},${d.x})`,
        tabindex: state.focused === n.id || (state.focused === null && n.id === '0') ? 0 : -1,
        role: 'treeitem',
        'aria-level': d.depth + 1,
        'aria-selected': state.selected === n.id,
        'data-node': n.id,
        'aria-label': `node ${n.id}: ${n.title} — ${outcome(n)}${n.decision ? ` (${n.decision.rule})` : ''}${n.best ? ', the best node' : ''}`,
        ...(n.children.length > 0 ? { 'aria-expanded': !folded } : {}),
      });
      g.append(svg('circle', { r: folded ? 8 : 6 }));
      const label = svg('text', { x: 12, dy: '0.32em' });
      label.textContent = `${n.id}${n.best ? ' ★' : ''} ${n.dev ? fmt(n.dev.mean) : ''}${folded ? ` (+${n.children.length})` : ''}`;
      g.append(label);
      g.addEventListener('click', () => select(n.id));
      g.addEventListener('keydown', (e) => key(e, d, nodes));
      canvas.append(g);
    }
    container.replaceChildren(canvas);
  }

  function focusNode(id) {
    state.focused = id;
    for (const g of document.querySelectorAll('#tree g.node')) g.setAttribute('tabindex', g.dataset.node === id ? '0' : '-1');
    document.querySelector(`#tree g.node[data-node="${CSS.escape(id)}"]`)?.focus();
  }

  function key(e, d, nodes) {
    const id = d.data.node.id;
    const at = nodes.indexOf(d);
    const go = (target) => target && (e.preventDefault(), focusNode(target.data.node.id));
    switch (e.key) {
      case 'ArrowDown':
        return go(nodes[at + 1]);
      case 'ArrowUp':
        return go(nodes[at - 1]);
      case 'ArrowRight':
        if (state.collapsed.has(id)) return e.preventDefault(), toggle(id);
        return go(d.children?.[0]);
      case 'ArrowLeft':
        if (d.children && d.children.length > 0) return e.preventDefault(), toggle(id);
        return go(d.parent);
      case 'Enter':
        e.preventDefault();
        return select(id);
      case ' ':
        e.preventDefault();
        return toggle(id);
      default:
    }
  }

  function toggle(id) {
    if (state.collapsed.has(id)) state.collapsed.delete(id);
    else state.collapsed.add(id);
    state.focused = id;
    renderTree(state.page);
    focusNode(id);
  }

  function select(id) {
    state.selected = id;
    state.focused = id;
    renderTree(state.page);
    renderNode(state.page.nodes[id]);
    focusNode(id);
  }

  function runsLine(r) {
    return `mean ${fmt(r.mean)} ± ${fmt(r.stdev)} over ${r.runs.length} run(s)${r.sandbox ? `, sandbox ${r.sandbox}` : ''}: ${r.runs.map((x) => `seed ${x.seed} ${fmt(x.value)}`).join(', ')}`;
  }

  function renderNode(x) {
    const pane = $('node');
    if (!x) return pane.replaceChildren('Select a node.');
    const list = el('dl');
    const row = (term, ...value) => list.append(el('dt', {}, term), el('dd', {}, ...value));
    row('node', `${x.nodeId} — ${x.status}${x.best ? ' (the best node)' : ''}${x.pruned ? `, pruned (${x.pruned.rule}: ${x.pruned.reason})` : ''}`);
    if (x.proposal) {
      row('hypothesis', x.proposal.title);
      row('mechanism', x.proposal.mechanism);
      row('prediction', x.proposal.prediction);
      row('change', el('code', {}, JSON.stringify(x.proposal.change)));
      row('proposer', `${x.proposal.proposer.kind}${x.proposal.proposer.model ? ` (${x.proposal.proposer.model})` : ''}`);
    }
    for (const a of x.attempts) row(`attempt ${a.attempt}`, `${a.experimentId}: ${a.outcome}${a.executorId ? ` on ${a.executorId}` : ''}${a.failure ? ` — ${a.failure.kind}: ${a.failure.detail}` : ''}`);
    if (x.dev) row('dev runs', runsLine(x.dev));
    if (x.gate) row('gate', 'failed' in x.gate ? `failed: ${x.gate.failed.kind} — ${x.gate.failed.detail}` : runsLine(x.gate));
    if (x.decision) {
      row('decision', `${x.decision.outcome} by ${x.decision.policy.name} v${x.decision.policy.version}, rule ${x.decision.rule}`);
      row('why', x.decision.reason);
      row('evidence', el('ul', {}, ...x.decision.evidence.map((e) => el('li', {}, `${e.type}@${e.revision}: ${e.summary}`))));
    }
    if (x.insights.length > 0) row('insights', el('ul', {}, ...x.insights.map((i) => el('li', {}, `${i.kind}${i.active ? '' : ' (superseded)'}: ${i.text}`))));
    if (x.code) row('code', `commit ${x.code.commit.slice(0, 12)}, ${x.code.filesChanged.length} file(s), +${x.code.insertions} −${x.code.deletions}`);
    pane.replaceChildren(el('h3', {}, x.proposal ? x.proposal.title : 'baseline'), list);
  }

  function renderCurves(page) {
    for (const chart of state.charts) chart.destroy();
    state.charts = [];
    const c = page.curves;
    const table = $('curve-table');
    table.replaceChildren(el('tr', {}, el('th', {}, 'experiments'), el('th', {}, 'seconds'), el('th', {}, 'best dev'), el('th', {}, 'best gate'), el('th', {}, 'gate calls')));
    for (const p of c) table.append(el('tr', {}, el('td', {}, p.experiments), el('td', {}, (p.elapsedMs / 1000).toFixed(1)), el('td', {}, fmt(p.dev)), el('td', {}, fmt(p.gate)), el('td', {}, p.gateCalls)));
    const first = c.find((p) => p.dev !== null);
    const last = c.at(-1);
    const gateLast = [...c].reverse().find((p) => p.gate !== null);
    const describe = (axis) =>
      last
        ? `Best-so-far ${page.metric} against ${axis}: dev from ${fmt(first?.dev ?? null)} to ${fmt(last.dev)} over ${last.experiments} experiments; gate ${gateLast ? `up to ${fmt(gateLast.gate)}` : 'not yet called'}; ${last.gateCalls} of ${page.tree.gate.budget ?? '?'} gate calls used.`
        : 'No experiment has finished yet.';
    const series = [{}, { label: 'best dev', stroke: '#1f77b4', width: 2 }, { label: 'best gate', stroke: '#d62728', width: 2 }];
    const plot = (id, xLabel, xs) => {
      const box = $(id);
      box.setAttribute('role', 'img');
      box.setAttribute('aria-label', describe(xLabel));
      box.replaceChildren();
      if (c.length === 0) return;
      const opts = { width: 560, height: 200, title: `best so far vs ${xLabel}`, scales: { x: { time: false } }, axes: [{ label: xLabel }, { label: page.metric }], series };
      state.charts.push(new uPlot(opts, [xs, c.map((p) => p.dev), c.map((p) => p.gate)], box));
    };
    plot('curve-experiments', 'experiments', c.map((p) => p.experiments));
    plot('curve-time', 'seconds', c.map((p) => p.elapsedMs / 1000));
  }

  function renderPath(page) {
    $('path').replaceChildren(
      ...page.admittedPath.map((p) => el('li', {}, el('strong', {}, `${p.nodeId} ${p.title}`), ` — dev ${fmt(p.dev)}, gate ${fmt(p.gate)}${p.rule ? `; ${p.rule}: ${p.reason}` : ''}`)),
    );
  }

  function renderSetup(page) {
    const t = page.finalTest;
    const held = t
      ? `Held-out test (computed once): baseline ${fmt(t.baseline)}, best ${t.bestNodeId} ${fmt(t.best)}, relative gain ${pct(t.relativeGain)}${t.interval ? `, 95% [${pct(t.interval[0])}, ${pct(t.interval[1])}]${t.withinNoise ? ' — within noise' : ''}` : ''}.`
      : 'Held-out test: not run yet.';
    const policies = Object.entries(page.policies).map(([k, p]) => el('li', {}, `${k}: ${p.name} v${p.version} ${JSON.stringify(p.params)}`));
    $('setup').replaceChildren(
      el('p', { id: 'held-out' }, held),
      el('p', {}, `Gate calls: ${page.tree.gate.used} of ${page.tree.gate.budget ?? '?'}. Sandbox: ${page.sandbox}.`),
      el('ul', {}, ...policies),
    );
    $('summary').textContent = `${page.task}, ${page.direction} ${page.metric}: ${page.tree.nodes.length} nodes, status ${page.tree.status}, best ${page.tree.best ?? '–'}`;
  }

  function render(page) {
    state.page = page;
    $('title').textContent = `hypotree: ${page.searchId}`;
    renderTree(page);
    renderCurves(page);
    renderPath(page);
    renderSetup(page);
    if (state.selected && page.nodes[state.selected]) renderNode(page.nodes[state.selected]);
  }

  // The dashboard: the page's data from the API, again whenever the search changes (SSE).
  function follow(searchId) {
    let pending = null;
    const refresh = async () => {
      pending = null;
      const res = await fetch(`/api/searches/${encodeURIComponent(searchId)}/page`);
      if (res.ok) render(await res.json());
      else $('summary').textContent = (await res.json()).error;
    };
    refresh();
    const events = new EventSource('/events');
    events.onmessage = (e) => {
      if (JSON.parse(e.data).searchId === searchId && !pending) pending = setTimeout(refresh, 200);
    };
  }

  window.hypotreeView = { render, follow };
})();
