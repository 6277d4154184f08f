import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SearchLog, SqliteEventStore } from '@hypotree/event-store';
import { hypotree, lastJsonLine } from './support/cli.js';
import { startScriptedOpenAI } from './support/openai-server.js';
import { spiralsModel, userText } from './support/spirals-model.js';

// The LLM path end to end: `hypotree run --proposer llm --distiller llm` through the built CLI, with
// the real openai client talking to a scripted OpenAI-compatible server on loopback.

describe('hypotree run with the LLM proposer and distiller (scripted OpenAI-compatible server)', () => {
  it('runs a search end to end, recording model, prompt hash and token usage in the events', async () => {
    const server = await startScriptedOpenAI({ respond: spiralsModel() });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-llm-'));
    fs.chmodSync(dir, 0o755);
    try {
      const env = { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'sk-scripted' };
      const args = ['run', path.resolve('examples/spirals'), '--budget', '4', '--parallel', '2', '--proposer', 'llm', '--distiller', 'llm', '--model', 'scripted-model', '--workdir', dir, '--json'];
      const { stdout } = await hypotree(args, env);
      const summary = lastJsonLine<{ searchId: string; experiments: number; tokens: number; best: { dev: number }; baseline: { dev: number } }>(stdout);
      expect(summary.experiments).toBe(4);

      const store = SqliteEventStore.open({ path: path.join(dir, 'events.db') });
      const events = await new SearchLog(store, { service: 'test', instance: 't' }).ownEvents(summary.searchId);
      await store.close();
      const proposed = events.filter((e) => e.type === 'HypothesisProposed').map((e) => e.data as { proposer: { kind: string; model?: string; promptHash?: string; usage?: object } });
      expect(proposed.length).toBeGreaterThanOrEqual(4);
      for (const p of proposed) {
        expect(p.proposer).toMatchObject({ kind: 'llm', model: 'scripted-model' });
        expect(p.proposer.promptHash).toMatch(/^[0-9a-f]{16,64}$/);
      }
      const insights = events.filter((e) => e.type === 'InsightDistilled').map((e) => e.data as { distiller: { kind: string; model?: string } });
      expect(insights.length).toBeGreaterThan(0);
      expect(insights.every((i) => i.distiller.kind === 'llm' && i.distiller.model === 'scripted-model')).toBe(true);
      // Each call's usage is recorded once (on the first proposal or insight it produced), so the
      // search's token count is exactly the sum over the calls the server answered.
      expect(summary.tokens).toBe(server.requests.length * (120 + 40));

      // The model saw the tree and the task, with structured output requested; no key leaked into experiments.
      const proposerRequests = server.requests.filter((r) => (r.body.response_format as { json_schema: { name: string } }).json_schema.name !== 'insights');
      expect(proposerRequests[0]!.body.model).toBe('scripted-model');
      expect(userText(proposerRequests[0]!.body)).toContain('0 baseline');
      expect(server.requests.length).toBeGreaterThan(0);
      expect(server.requests.filter((r) => r.headers.authorization !== 'Bearer sk-scripted')).toEqual([]);
      // The key reached the endpoint and nothing else: no event of the search holds it.
      expect(JSON.stringify(events)).not.toContain('sk-scripted');
      expect(summary.best.dev).toBeGreaterThan(summary.baseline.dev);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
