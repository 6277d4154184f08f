import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseAnalyticsConfig, startAnalytics, type RunningAnalytics, type SearchMetrics } from '@hypotree/analytics';
import { SearchLog, SqliteEventStore, type PendingEvent } from '@hypotree/event-store';
import { type RecordedSearchEvent, type SearchEvent } from '@hypotree/events';
import { EventScript } from '@hypotree/tree/testing';

// The analytics service in-process over a real SQLite log and a real loopback port: it follows
// appends, serves JSON, Prometheus text and SSE, resumes from its checkpoint without counting an
// event twice, and reports an unreadable event as its search's error while other searches go on.

const pending = (events: RecordedSearchEvent[]): PendingEvent[] => events.map((e) => ({ id: e.id, event: { type: e.type, data: e.data } as SearchEvent }));

/** One SSE message: its id (the log position of the change) and its data (a search's metrics). */
function sseMessage(text: string): { id?: string; data: SearchMetrics } {
  const field = (name: string) => text.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
  const id = field('id');
  return { ...(id === undefined ? {} : { id }), data: JSON.parse(field('data')!) as SearchMetrics };
}

/**
 * Reads SSE messages from `url` (with these headers) until `enough` holds or 5 s pass; then disconnects.
 * `connected` runs once the stream is open, before anything is read (to make the change to watch for).
 */
async function readSse(
  url: string,
  headers: Record<string, string>,
  enough: (messages: { id?: string; data: SearchMetrics }[]) => boolean,
  connected: (response: Response) => Promise<void> = async () => undefined,
) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 5000);
  const messages: { id?: string; data: SearchMetrics }[] = [];
  try {
    const response = await fetch(url, { headers, signal: controller.signal });
    await connected(response);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    while (!enough(messages)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      const parts = buffer.split('\n\n');
      buffer = parts.pop()!;
      messages.push(...parts.map(sseMessage));
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return messages;
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('analytics service', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-analytics-'));
  const db = path.join(dir, 'events.db');
  const stateFile = path.join(dir, 'analytics-state.json');
  const store = SqliteEventStore.open({ path: db, pollIntervalMs: 10 });
  const log = new SearchLog(store, { service: 'test', instance: 'analytics-e2e' });
  const errors: string[] = [];
  const config = parseAnalyticsConfig({ store: `sqlite:${db}`, host: '127.0.0.1', port: 0, stateFile, saveEvery: 2 });
  const start = () => startAnalytics(config, { logger: false, serviceLogger: { log: () => undefined, error: (m: string) => errors.push(m) } });
  let running: RunningAnalytics | undefined;

  afterAll(async () => {
    await running?.stop();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const searches = async (): Promise<SearchMetrics[]> => (await fetch(`${running!.url}/api/searches`)).json() as Promise<SearchMetrics[]>;
  const metricsOf = (id: string, revision: number) =>
    eventually(async () => (await searches()).find((m) => m.searchId === id && m.revision >= revision), `${id} at revision ${revision}`);

  it('follows a search, serves it as JSON, Prometheus text and SSE, resumes from its checkpoint and reports an unreadable event', async () => {
    const script = new EventScript('s1');
    script.start();
    script.baseline([0.5, 0.5]);
    script.propose('1', '0', { lr: 0.1 });
    script.succeed('1', [0.7, 0.72]);
    script.gate('1', 0.7);
    script.decide('1', true);
    script.propose('2', '1', { lr: 0.2 });
    script.failExperiment('2', 'timeout');
    await log.append('s1', -1, pending(script.events));
    let revision = script.events.length - 1;

    running = await start();
    expect(running.port).toBeGreaterThan(0);
    const first = await metricsOf('s1', revision);
    expect(first).toMatchObject({ task: 'demo', status: 'started', experiments: 2, failures: { timeout: 1 }, admitted: 1, rejected: 0, gateEvaluations: 1, best: { nodeId: '1', dev: 0.71 } });

    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toContain('# TYPE hypotree_experiments_total counter');
    expect(metrics).toContain('hypotree_experiments_total{search="s1"} 2');
    expect(metrics).toContain('hypotree_admitted_total{search="s1"} 1');
    expect(metrics).toContain('hypotree_gate_evaluations_total{search="s1"} 1');
    expect(metrics).toContain('hypotree_best_dev{search="s1"} 0.71');
    expect(metrics).toContain('hypotree_experiment_failures_total{search="s1",kind="timeout"} 1');
    const page = await (await fetch(`${running.url}/`)).text();
    expect(page).toContain("new EventSource('/events')");

    // SSE: a message for the change after a further append.
    const streamed = await readSse(
      `${running.url}/events`,
      {},
      (messages) => messages.some((m) => m.data.revision === revision),
      async (sse) => {
        expect(sse.headers.get('content-type')).toBe('text/event-stream');
        const before = script.events.length;
        script.propose('3', '1', { lr: 0.3 });
        script.succeed('3', [0.8]);
        script.decide('3', false);
        await log.append('s1', revision, pending(script.events.slice(before)));
        revision = script.events.length - 1;
      },
    );
    const live = streamed.map((m) => m.data).find((m) => m.revision === revision);
    expect(live).toMatchObject({ searchId: 's1', experiments: 3, rejected: 1 });

    // Restart from the checkpoint: the same counts, not doubled; a later event counts once.
    await metricsOf('s1', revision);
    const counted = (await searches()).find((m) => m.searchId === 's1');
    await running.stop();
    expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).position).toEqual(expect.any(String));
    running = await start();
    expect((await searches()).find((m) => m.searchId === 's1')).toEqual(counted);
    const more = script.events.length;
    script.propose('4', '1', { lr: 0.4 });
    script.failExperiment('4', 'crash');
    await log.append('s1', revision, pending(script.events.slice(more)));
    revision = script.events.length - 1;
    expect(await metricsOf('s1', revision)).toMatchObject({ experiments: 4, failures: { timeout: 1, crash: 1 }, admitted: 1, rejected: 1, gateEvaluations: 1 });

    // An event that does not match the catalogue, written beneath the adapter into another search.
    const bad = new EventScript('bad');
    bad.start();
    await log.append('bad', -1, pending(bad.events));
    const raw = new Database(db);
    raw
      .prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('search-bad', 1, 'f0a1b2c3-0000-4000-8000-000000000001', 'HypothesisProposed', '{"nodeId": 7}', JSON.stringify(bad.events[0]!.metadata), Date.now());
    raw.close();
    const after = script.events.length;
    script.propose('5', '1', { lr: 0.5 });
    await log.append('s1', revision, pending(script.events.slice(after)));
    revision = script.events.length - 1;

    const broken = await eventually(async () => (await searches()).find((m) => m.searchId === 'bad' && m.error), 'the bad search error');
    expect(broken.error).toMatch(/^search-bad@1: HypothesisProposed: data\./);
    expect(errors.some((e) => e.includes('search-bad@1'))).toBe(true);
    expect(await metricsOf('s1', revision)).toMatchObject({ experiments: 4 });
    expect(await (await fetch(`${running.url}/metrics`)).text()).toContain('hypotree_search_errors{search="bad"} 1');
  });

  it('serves a search\'s tree and a node\'s explanation from the log, 404 for what does not exist, and SSE ids a client resumes from', async () => {
    running ??= await start();
    const api = async (p: string) => {
      const r = await fetch(`${running!.url}${p}`);
      return { status: r.status, type: r.headers.get('content-type'), body: (await r.json()) as Record<string, unknown> };
    };
    const valid = new EventScript('t');
    valid.start();
    valid.baseline([0.5, 0.5]);
    valid.propose('1', '0', { lr: 0.1 });
    valid.succeed('1', [0.7, 0.72]);
    valid.gate('1', 0.7);
    valid.decide('1', true);
    await log.append('t', -1, pending(valid.events));
    await metricsOf('t', valid.events.length - 1);
    const tree = await api('/api/searches/t');
    expect({ status: tree.status, error: tree.body.error }).toEqual({ status: 200, error: undefined });
    expect(tree.type).toBe('application/json');
    const nodes = tree.body.nodes as { id: string; status: string; decision: { admitted: boolean } | null }[];
    expect(nodes.find((n) => n.id === '1')).toMatchObject({ status: 'admitted', decision: { admitted: true } });
    expect(tree.body).toMatchObject({ searchId: 't', best: '1', gate: { used: 1 } });
    const node = await api('/api/searches/t/nodes/1');
    expect(node.status).toBe(200);
    expect(node.body).toMatchObject({ nodeId: '1', decision: { outcome: 'admitted', rule: 'verified' } });
    // What does not exist is a 404 with a reason, whatever the id looks like.
    expect(await api('/api/searches/nope')).toMatchObject({ status: 404, body: { error: 'no search nope' } });
    expect(await api('/api/searches/t/nodes/9.9')).toMatchObject({ status: 404, body: { error: 'search t has no node 9.9' } });
    // A log the fold refuses (s1's script proposes node 2 under node 1) is an error naming the event, not a tree.
    expect(await api('/api/searches/s1')).toMatchObject({ status: 500, body: { error: 'search-s1@8 (HypothesisProposed): the next child of 1 is 1.1, not 2' } });
    expect(await api('/api/searches/..%2F..%2Fetc%2Fpasswd')).toMatchObject({ status: 404 });
    expect((await fetch(`${running!.url}/api/searches/t/nodes/1/more`)).status).toBe(404);

    // Every SSE message names the log position of its change.
    const first = await readSse(`${running!.url}/events`, {}, (m) => m.length >= 3);
    expect(first.map((m) => m.data.searchId).sort()).toEqual(['bad', 's1', 't']);
    for (const m of first) expect(m.id).toEqual(expect.any(String));
    const seen = first.find((m) => m.data.searchId === 't')!.id!; // the latest change: t was appended last
    // After a change to another search only, a client resuming from the last id it saw gets that search alone.
    const other = new EventScript('s2');
    other.start();
    await log.append('s2', -1, pending(other.events));
    await metricsOf('s2', 0);
    const resumed = await readSse(`${running!.url}/events`, { 'last-event-id': seen }, (m) => m.length >= 1);
    expect(resumed.map((m) => m.data.searchId)).toEqual(['s2']);
    // A position this process never handed out gets every search.
    const unknown = await readSse(`${running!.url}/events`, { 'last-event-id': 'not-a-position' }, (m) => m.length >= 4);
    expect(unknown.map((m) => m.data.searchId).sort()).toEqual(['bad', 's1', 's2', 't']);
  });
});
