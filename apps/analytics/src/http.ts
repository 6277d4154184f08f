import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AnalyticsService } from './analytics.service.js';
import { dashboardHtml } from './dashboard.js';
import type { SearchMetrics } from './metrics.js';
import { prometheusText } from './prometheus.js';

/** The analytics HTTP endpoints, listening. */
export interface AnalyticsHttp {
  host: string;
  /** The port actually bound (a free one when 0 was asked for). */
  port: number;
  close(): Promise<void>;
}

/** Serves `/`, `/api/searches`, `/metrics` and `/events` (SSE) over the service's metrics. */
export async function serveAnalytics(analytics: AnalyticsService, host: string, port: number): Promise<AnalyticsHttp> {
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'only GET\n');
    switch (url.pathname) {
      case '/':
        return send(res, 200, 'text/html; charset=utf-8', dashboardHtml);
      case '/api/searches':
        return send(res, 200, 'application/json', JSON.stringify(analytics.searches()));
      case '/metrics':
        return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(analytics.searches()));
      case '/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        const message = (m: SearchMetrics) => res.write(`data: ${JSON.stringify(m)}\n\n`);
        for (const m of analytics.searches()) message(m);
        const unsubscribe = analytics.onChange(message);
        streams.add(res);
        req.on('close', () => {
          unsubscribe();
          streams.delete(res);
        });
        return;
      }
      default:
        return send(res, 404, 'text/plain', `no such endpoint: ${url.pathname} (try /, /api/searches, /metrics, /events)\n`);
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

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
