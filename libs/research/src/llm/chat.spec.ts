import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { startScriptedOpenAI } from '../../../../test/support/openai-server.js';
import { LlmEndpointError, LlmReplyError, StructuredChat } from './chat.js';

// What a model call that cannot be used says: an endpoint that cannot be reached or answers with an
// HTTP error names its URL; a reply that is not what was asked for is retried once, then refused.

const Schema = z.object({ answer: z.string() });
const ask = (chat: StructuredChat) => chat.ask('llm', 'answer', Schema, [{ role: 'user', content: 'hi' }]);

/** A loopback URL nothing listens on. */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/v1`;
}

describe('StructuredChat: failed model calls', () => {
  it('names the URL it tried when the endpoint cannot be reached', async () => {
    const baseURL = await closedUrl();
    const chat = new StructuredChat({ baseURL, apiKey: 'k', model: 'm', maxRetries: 0, timeoutMs: 5_000 }, 'llm proposer');
    const error = await ask(chat).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmEndpointError);
    expect((error as Error).message).toContain(`llm proposer: cannot reach the model endpoint ${baseURL} (Connection error`);
    expect((error as Error).message).toContain('check OPENAI_BASE_URL');
  });

  it('names the URL and the status of an HTTP error', async () => {
    const server = await startScriptedOpenAI();
    try {
      server.enqueue({ status: 400, error: 'response_format json_schema is not supported' });
      const chat = new StructuredChat({ baseURL: server.baseURL, apiKey: 'k', model: 'm', maxRetries: 0 }, 'llm distiller');
      await expect(ask(chat)).rejects.toThrow(`llm distiller: the model endpoint ${server.baseURL} answered HTTP 400: 400 response_format json_schema is not supported`);
    } finally {
      await server.close();
    }
  });

  it('takes a reply without choices for an invalid reply: retried once, then refused', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'x', object: 'chat.completion', created: 0, model: 'm' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const chat = new StructuredChat({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'k', model: 'm', maxRetries: 0 }, 'llm proposer');
      const error = await ask(chat).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LlmReplyError);
      expect((error as LlmReplyError).problems).toHaveLength(2);
      expect(calls).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('null case: a valid reply is returned with who produced it', async () => {
    const server = await startScriptedOpenAI();
    try {
      server.enqueue({ content: { answer: 'yes' } });
      const chat = new StructuredChat({ baseURL: server.baseURL, apiKey: 'k', model: 'm', maxRetries: 0 }, 'llm proposer');
      await expect(ask(chat)).resolves.toMatchObject({ value: { answer: 'yes' }, producer: { kind: 'llm', model: 'm' } });
    } finally {
      await server.close();
    }
  });
});
