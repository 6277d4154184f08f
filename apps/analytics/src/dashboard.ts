/** A self-contained page: a table of searches kept current by the /events stream, each linking to its page. */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>hypotree analytics</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 2em; }
  table { border-collapse: collapse; }
  th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
  th:first-child, td:first-child, td.text { text-align: left; }
  .error, .unsandboxed { color: #b00; }
  .unsandboxed { font-weight: bold; }
</style>
</head>
<body>
<h1>hypotree searches</h1>
<p id="status">connecting…</p>
<table>
  <thead><tr><th>search</th><th>task</th><th>status</th><th>sandbox</th><th>rev</th><th>experiments</th><th>failed</th><th>admitted</th><th>rejected</th><th>gate</th><th>insights</th><th>tokens</th><th>best</th><th>best dev</th><th>held-out gain</th><th>error</th></tr></thead>
  <tbody id="rows"></tbody>
</table>
<script>
  const rows = new Map();
  const body = document.getElementById('rows');
  const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; return td; };
  function show(m) {
    const failed = Object.values(m.failures).reduce((a, b) => a + b, 0);
    const tr = document.createElement('tr');
    const name = cell('', 'text');
    const link = document.createElement('a');
    link.href = '/searches/' + encodeURIComponent(m.searchId);
    link.textContent = m.searchId;
    name.appendChild(link);
    tr.appendChild(name);
    [m.task ?? '', m.status].forEach((t) => tr.appendChild(cell(t, 'text')));
    tr.appendChild(cell(m.sandbox ?? 'unknown', m.sandbox === 'allowlist' ? 'text' : 'text unsandboxed'));
    [m.revision, m.experiments, failed, m.admitted, m.rejected, m.gateEvaluations, m.insights, m.tokens].forEach((n) => tr.appendChild(cell(String(n))));
    tr.appendChild(cell(m.best ? m.best.nodeId : '', 'text'));
    tr.appendChild(cell(m.best ? m.best.dev.toFixed(4) : ''));
    tr.appendChild(cell(m.relativeGain === undefined ? '' : (100 * m.relativeGain).toFixed(2) + ' %'));
    tr.appendChild(cell(m.error ?? '', 'text error'));
    const old = rows.get(m.searchId);
    if (old) body.replaceChild(tr, old); else body.appendChild(tr);
    rows.set(m.searchId, tr);
  }
  const source = new EventSource('/events');
  source.onopen = () => { document.getElementById('status').textContent = 'live'; };
  source.onerror = () => { document.getElementById('status').textContent = 'disconnected, retrying…'; };
  source.onmessage = (e) => show(JSON.parse(e.data));
</script>
</body>
</html>
`;
