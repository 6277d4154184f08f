// The search page and the report in a real browser (Debian's Chromium driven by playwright-core):
// the report opens from disk with no server and shows the tree, the curves, the admitted path, the
// held-out test, the policies, the gate calls and the sandbox; the dashboard's page of a running
// search shows nodes appearing live; a click or the keyboard opens a node's explain pane.
// Screenshots go to test-artifacts/.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseAnalyticsConfig, startAnalytics, type RunningAnalytics } from '@hypotree/analytics';
import { hypotree, spawnHypotree } from './support/cli.js';
import { artifact, launchChromium } from './support/browser.js';
import { createSyntheticTask, type SyntheticTask } from './support/synthetic-task.js';

interface TreeJson {
  best: string | null;
  nodes: { id: string; title: string; decision: { rule: string } | null }[];
}

let browser: Browser;
let task: SyntheticTask;
let w: string[];

beforeAll(async () => {
  browser = await launchChromium();
  task = createSyntheticTask('overfit');
  w = ['--workdir', task.workdir];
  await hypotree(['run', task.root, '--budget', '8', '--parallel', '2', '--search-id', 'done', ...w]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  task?.cleanup();
});

/** A page that fails the test on any script error. */
async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('request', (r) => {
    // Nothing is fetched from anywhere but the page's own origin (no CDN: the machine has no internet).
    const u = new URL(r.url());
    if (!['file:', 'data:'].includes(u.protocol) && u.hostname !== '127.0.0.1') errors.push(`request to ${r.url()}`);
  });
  await page.goto(url);
  return { page, errors };
}

describe('hypotree report', () => {
  it('writes one HTML file that opens from disk and shows the tree, curves, admitted path, held-out test, policies, gate calls and sandbox', async () => {
    const out = fs.mkdtempSync(path.join(task.workdir, 'report-'));
    await hypotree(['report', 'done', '--out', out, ...w]);
    const file = path.join(out, 'report.html');
    const tree = JSON.parse((await hypotree(['tree', 'done', '--json', ...w])).stdout) as TreeJson;
    const { page, errors } = await openPage(`file://${file}`);
    await page.locator('#tree g.node').first().waitFor();
    expect(await page.locator('#tree g.node').count()).toBe(tree.nodes.length);
    expect(await page.locator('#tree svg').getAttribute('role')).toBe('tree');
    // Colour by outcome, the best path highlighted.
    for (const n of tree.nodes.filter((x) => x.decision)) {
      expect(await page.locator(`#tree g.node[data-node="${n.id}"]`).getAttribute('class')).toMatch(/admitted|rejected/);
    }
    expect(await page.locator('#tree g.node.on-best').count()).toBeGreaterThanOrEqual(1);
    // The curves, with their text alternative and table.
    expect(await page.locator('#curve-experiments').getAttribute('aria-label')).toMatch(/^Best-so-far score against experiments: dev from [\d.]+ to [\d.]+ over 8 experiments/);
    expect(await page.locator('#curve-experiments canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('#curve-table tr').count()).toBeGreaterThan(8);
    // The held-out numbers with their interval, the policies, the gate calls, the sandbox.
    expect(await page.locator('#held-out').textContent()).toMatch(/Held-out test \(computed once\): baseline [\d.]+, best \S+ [\d.]+, relative gain -?[\d.]+%, 95% \[/);
    const setup = (await page.locator('#setup').textContent())!;
    expect(setup).toContain('admission: admission v5');
    expect(setup).toMatch(/Gate calls: \d+ of \d+\. Sandbox: allowlist\./);
    expect(await page.locator('#path li').count()).toBeGreaterThanOrEqual(1);
    // A click on a node opens its explain pane.
    const decided = tree.nodes.find((n) => n.decision)!;
    await page.click(`#tree g.node[data-node="${decided.id}"]`);
    expect(await page.locator('#node h3').textContent()).toBe(decided.title);
    expect(await page.locator('#node').textContent()).toContain(`rule ${decided.decision!.rule}`);
    await page.screenshot({ path: artifact('report.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('is navigable from the keyboard: arrows move between nodes, Enter opens one, Space folds a subtree', async () => {
    const out = fs.mkdtempSync(path.join(task.workdir, 'report-'));
    await hypotree(['report', 'done', '--out', out, ...w]);
    const { page, errors } = await openPage(`file://${path.join(out, 'report.html')}`);
    await page.locator('#tree g.node').first().waitFor();
    const focused = () => page.locator(':focus').getAttribute('data-node');
    await page.focus('#tree g.node[data-node="0"]');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('1');
    await page.keyboard.press('ArrowUp');
    expect(await focused()).toBe('0');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    expect(await page.locator('#node dd').first().textContent()).toMatch(/^1 — /);
    // Space on the root folds everything under it: one node left, marked collapsed.
    await page.focus('#tree g.node[data-node="0"]');
    await page.keyboard.press(' ');
    expect(await page.locator('#tree g.node').count()).toBe(1);
    expect(await page.locator('#tree g.node[data-node="0"]').getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press(' ');
    expect(await page.locator('#tree g.node').count()).toBeGreaterThan(1);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

describe('the dashboard page of a search', () => {
  let analytics: RunningAnalytics | undefined;
  afterAll(async () => analytics?.stop());

  it('shows the nodes of a running search appear live, a node\'s explain pane on click, and the search beside its replays', async () => {
    const config = parseAnalyticsConfig({ store: `sqlite:${path.join(task.workdir, 'events.db')}`, host: '127.0.0.1', port: 0, stateFile: path.join(task.workdir, 'analytics-browser.json'), saveEvery: 50 });
    analytics = await startAnalytics(config, { logger: false, serviceLogger: { log: () => undefined, error: () => undefined } });
    const run = spawnHypotree(['run', task.root, '--budget', '10', '--parallel', '2', '--search-id', 'live', ...w]);
    try {
      // The search exists once its first event is written; the page follows it from there.
      const deadline = Date.now() + 60_000;
      while ((await fetch(`${analytics.url}/api/searches/live`)).status === 404) {
        if (Date.now() > deadline) throw new Error('the search never started');
        await new Promise((r) => setTimeout(r, 100));
      }
      const { page, errors } = await openPage(`${analytics.url}/searches/live`);
      const counts = new Set<number>();
      await page.locator('#tree g.node').first().waitFor({ timeout: 30_000 });
      const until = Date.now() + 120_000;
      for (;;) {
        const n = await page.locator('#tree g.node').count();
        counts.add(n);
        if (n >= 11 || Date.now() > until) break;
        await page.waitForTimeout(200);
      }
      // The page grew while the search ran, without a reload: nodes appeared live.
      expect(counts.size).toBeGreaterThan(1);
      expect(Math.max(...counts)).toBe(11);
      await run;
      await page.click('#tree g.node[data-node="1"]');
      expect(await page.locator('#node').textContent()).toContain('node1 — ');
      await page.screenshot({ path: artifact('dashboard-live.png'), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();

      // A replay of it, side by side with it: identical under the recorded policies; under dev-only
      // admission the decisions that differ are listed with both rules.
      await hypotree(['replay', 'live', '--as', 'live-again', ...w]);
      await hypotree(['replay', 'live', '--as', 'live-dev-only', '--policy', 'admission.mode=dev-only', ...w]);
      const same = await openPage(`${analytics.url}/compare/live/live-again`);
      await same.page.locator('#verdict').filter({ hasText: 'identical' }).waitFor();
      expect(await same.page.locator('#sides').textContent()).toContain('B: live-again');
      expect(same.errors).toEqual([]);
      const other = await openPage(`${analytics.url}/compare/live/live-dev-only`);
      await other.page.locator('#changed tr').nth(1).waitFor();
      expect(await other.page.locator('#verdict').textContent()).toMatch(/\d+ changed/);
      expect(await other.page.locator('#changed').textContent()).toContain('(dev-improvement)');
      await other.page.screenshot({ path: artifact('compare.png'), fullPage: true });
      expect(other.errors).toEqual([]);
      expect((await fetch(`${analytics.url}/api/compare/live/nope`)).status).toBe(404);
    } finally {
      run.kill();
    }
  }, 300_000);
});
