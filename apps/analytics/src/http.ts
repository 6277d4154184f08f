import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnalyticsService } from './analytics.service.js';
import { dashboardHtml } from './dashboard.js';
import type { SearchMetrics } from './metrics.js';
import { prometheusText } from './prometheus.js';
import { explainNode, fold, treeView } from '@hypotree/tree';
import { compareSearches } from '@hypotree/search';
import { loadTask, type Parameter } from '@hypotree/task';
import { comparePageHtml, PAGE_ASSETS, pageAsset, searchPage, searchPageHtml, type PageAsset } from './search-page.js';

/** The analytics HTTP endpoints, listening. */
export interface AnalyticsHttp {
  host: string;
  /** The port actually bound (a free one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `/`, `/api/searches`, `/metrics` and `/events` (SSE) over the service's metrics, and
 * `/api/searches/<id>` (the tree) and `/api/searches/<id>/nodes/<node>` (the explain view) from the log.
 */
export async function serveAnalytics(analytics: AnalyticsService, host: string, port: number): Promise<AnalyticsHttp> {
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET\n');
    const asset = /^\/assets\/([^/]+)$/.exec(url.pathname)?.[1];
    if (asset !== undefined) {
      if (!Object.hasOwn(PAGE_ASSETS, asset)) return send(res, 404, 'text/plain', `no such asset: ${asset}\n`);
      return send(res, 200, asset.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', pageAsset(asset as PageAsset));
    }
    const pair = /^\/(api\/)?compare\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (pair) {
      const [a, b] = [decodeURIComponent(pair[2]!), decodeURIComponent(pair[3]!)];
      if (!pair[1]) return send(res, 200, 'text/html; charset=utf-8', comparePageHtml(a, b));
      return void compareApi(analytics, a, b).then(
        ({ status, body }) => send(res, status, 'application/json', JSON.stringify(body)),
        (error: unknown) => send(res, 500, 'application/json', JSON.stringify({ error: (error as Error).message })),
      );
    }
    const pageOf = /^\/searches\/([^/]+)$/.exec(url.pathname)?.[1];
    if (pageOf !== undefined) return send(res, 200, 'text/html; charset=utf-8', searchPageHtml({ inline: false, searchId: decodeURIComponent(pageOf) }));
    const search = /^\/api\/searches\/([^/]+)(?:\/(page)|\/nodes\/([^/]+))?$/.exec(url.pathname);
    if (search) {
      const [, searchId, page, nodeId] = search.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
      return void searchApi(analytics, searchId!, page ? { page: true } : { nodeId }).then(
        ({ status, body }) => send(res, status, 'application/json', JSON.stringify(body)),
        (error: unknown) => send(res, 500, 'application/json', JSON.stringify({ error: (error as Error).message })),
      );
    }
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', dashboardHtml);
      case '/api/searches':
        return send(res, 200, 'application/json', JSON.stringify(analytics.searches()));
      case '/metrics':
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(analytics.searches()));
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        // Each message is a search's metrics; its id is the log position of that change, so a client
        // that reconnects with Last-Event-ID gets only the searches that changed since (every search
        // when the position is unknown to this process).
        const message = (m: SearchMetrics, position: string | undefined) => res.write(`${position === undefined ? '' : `id: ${position}\n`}data: ${JSON.stringify(m)}\n\n`);
        const lastId = req.headers['last-event-id'];
        const since = typeof lastId === 'string' ? analytics.changedSince(lastId) : undefined;
        for (const m of since ?? analytics.searches()) message(m, analytics.positionOf(m.searchId));
        const unsubscribe = analytics.onChange(message);
        streams.add(res);
        req.on('close', () => {
          unsubscribe();
          streams.delete(res);
        });
        return;
      }
      default:
        return send(res, 404, 'text/plain', `no such endpoint: ${url.pathname} (try /, /searches/<id>, /compare/<a>/<b>, /api/searches, /api/searches/<id>, /api/searches/<id>/page, /api/searches/<id>/nodes/<node>, /metrics, /events)\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    host,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of streams) res.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A search's tree, or one node's explanation, read from the log as it is now; 404 for what does not exist. */
async function searchApi(analytics: AnalyticsService, searchId: string, what: { page: true } | { nodeId: string | undefined }): Promise<{ status: number; body: unknown }> {
  const history = await analytics.history(searchId);
  if (history.length === 0) return { status: 404, body: { error: `no search ${searchId}` } };
  if ('page' in what) return { status: 200, body: searchPage(history) };
  const tree = fold(history);
  const { nodeId } = what;
  if (nodeId === undefined) return { status: 200, body: treeView(tree) };
  if (!tree.nodes.has(nodeId)) return { status: 404, body: { error: `search ${searchId} has no node ${nodeId}` } };
  return { status: 200, body: explainNode(history, nodeId, tree) };
}

/** Two searches of one task compared (see compareSearches); nodes are matched by what they test, in the task's parameter space when its spec can be read here. */
async function compareApi(analytics: AnalyticsService, a: string, b: string): Promise<{ status: number; body: unknown }> {
  const [ha, hb] = [await analytics.history(a), await analytics.history(b)];
  for (const [id, h] of [[a, ha], [b, hb]] as const) if (h.length === 0) return { status: 404, body: { error: `no search ${id}` } };
  const [ta, tb] = [fold(ha), fold(hb)];
  if (ta.started!.task.specHash !== tb.started!.task.specHash) return { status: 422, body: { error: `${a} and ${b} ran different tasks: their nodes cannot be matched` } };
  let space: Parameter[] = [];
  try {
    space = loadTask(ta.started!.task.specPath).spec.parameters?.space ?? [];
  } catch {
    // The spec is not readable here: nodes are matched by their chain of changes instead.
  }
  return { status: 200, body: compareSearches({ tree: ta, history: ha }, { tree: tb, history: hb }, space) };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
