import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A scripted answer: message content (a string, or an object sent as JSON text), optional usage, or an HTTP error. */
export type ScriptedResponse =
  | { content: string | object; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { status: number; error: string };

/** One request the server received. */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: { model?: string; messages?: { role: string; content: unknown }[]; response_format?: unknown; [key: string]: unknown };
}

/** A running scripted OpenAI-compatible server (`POST /v1/chat/completions`). */
export interface ScriptedOpenAI {
  /** Pass as `baseURL` to the `openai` client. */
  baseURL: string;
  requests: RecordedRequest[];
  /** Queues answers, served in order; a request with an empty queue gets HTTP 500 with a clear message. */
  enqueue(...responses: ScriptedResponse[]): void;
  close(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers a request the queue has no scripted response for (e.g. a whole search's calls); undefined: none. */
export type Responder = (body: RecordedRequest['body']) => ScriptedResponse | undefined;

/** Starts the scripted server on a free loopback port; `respond` answers whatever the queue does not. */
export async function startScriptedOpenAI(options: { respond?: Responder } = {}): Promise<ScriptedOpenAI> {
  const queue: ScriptedResponse[] = [];
  const requests: RecordedRequest[] = [];
  let counter = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: RecordedRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as RecordedRequest['body'];
      } catch {
        reply(res, 400, { error: { message: 'request body is not JSON', type: 'invalid_request_error' } });
        return;
      }
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        reply(res, 404, { error: { message: `scripted server only serves POST /v1/chat/completions, got ${req.method} ${req.url}`, type: 'not_found' } });
        return;
      }
      const next = queue.shift() ?? options.respond?.(body);
      if (next === undefined) {
        reply(res, 500, { error: { message: 'scripted server: no scripted response left (enqueue more)', type: 'server_error' } });
        return;
      }
      if ('status' in next) {
        reply(res, next.status, { error: { message: next.error, type: 'scripted_error' } });
        return;
      }
      counter += 1;
      const content = typeof next.content === 'string' ? next.content : JSON.stringify(next.content);
      const usage = next.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
      reply(res, 200, {
        id: `chatcmpl-scripted-${counter}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'scripted',
        choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content, refusal: null } }],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    enqueue: (...responses) => queue.push(...responses),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** Alias matching the brief's `start()` wording. */
export const start = startScriptedOpenAI;
