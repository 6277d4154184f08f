import type { Hypothesis } from '@hypotree/task';
import { createTaskFixture, type TaskFixture } from '../../../../test/support/task-fixture.js';
import { startScriptedOpenAI, type ScriptedOpenAI } from '../../../../test/support/openai-server.js';
import { prepareArtifact, type ArtifactRepo } from '../artifact.js';
import { runExperiment } from '../experiment.js';
import { git } from '../git.js';
import { LlmImplementer } from './llm.js';

let fx: TaskFixture;
let repo: ArtifactRepo;
let server: ScriptedOpenAI;

const hypothesis: Hypothesis = {
  title: 'raise x',
  mechanism: 'accuracy grows with x',
  prediction: 'dev accuracy above 0.8',
  change: { kind: 'freeform', instructions: 'set x to 9 in config.json' },
};
const config = (x: number, mode: string) => `${JSON.stringify({ x, mode, marker: '' }, null, 2)}\n`;

beforeAll(async () => {
  fx = createTaskFixture();
  repo = await prepareArtifact(fx.task, fx.workdir);
  server = await startScriptedOpenAI();
});
afterAll(async () => {
  await server.close();
  fx.cleanup();
});
beforeEach(() => server.requests.splice(0));

function run(nodeId: string, maxAttempts = 3) {
  const implementer = new LlmImplementer({ baseURL: server.baseURL, apiKey: 'test-key', model: 'scripted-model', maxAttempts });
  return runExperiment({ task: fx.task, repo, experimentId: `e-${nodeId}`, nodeId, searchId: 'llm', baseCommit: repo.baseCommit, hypothesis, implementer, seeds: [1] });
}

describe('LlmImplementer', () => {
  it('feeds refusals and dev failures back until the implementation works, keeping the hypothesis fixed', async () => {
    server.enqueue(
      { content: { summary: 'edit the evaluator', edits: [{ path: 'evaluate.mjs', content: 'cheat' }] } },
      { content: { summary: 'crashing config', edits: [{ path: 'config.json', content: config(9, 'crash') }] }, usage: { prompt_tokens: 100, completion_tokens: 20 } },
      { content: { summary: 'x = 9', edits: [{ path: 'config.json', content: config(9, 'ok') }] }, usage: { prompt_tokens: 200, completion_tokens: 30 } },
    );
    const evidence = await run('n-ok');
    expect(evidence.status).toBe('succeeded');
    expect(evidence.devScore).toBeCloseTo(0.901, 10);
    expect(evidence.implementation).toEqual({ implementer: 'llm', summary: 'x = 9', attempts: 3, model: 'scripted-model', usage: { promptTokens: 310, completionTokens: 55 } });
    expect(JSON.parse(await git(repo.path, ['show', `${evidence.commit}:config.json`])).x).toBe(9);

    expect(server.requests).toHaveLength(3);
    const first = server.requests[0]!.body;
    expect(first.model).toBe('scripted-model');
    expect(first.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'file_edits' } });
    expect(String(first.messages![1]!.content)).toContain('set x to 9 in config.json');
    expect(String(first.messages![1]!.content)).toContain('--- config.json ---');
    const second = server.requests[1]!.body.messages!;
    expect(String(second.at(-1)!.content)).toContain('these paths may not be edited: evaluate.mjs');
    const third = server.requests[2]!.body.messages!;
    expect(String(third.at(-1)!.content)).toContain('exited with code 3');
    expect(String(third.at(-1)!.content)).toContain('boom: deliberate crash');
    expect(third[1]).toEqual(first.messages![1]);
  });

  it('is an implementation failure after the bounded number of attempts', async () => {
    server.enqueue({ content: 'not json at all' }, { content: { summary: 'empty', edits: [] } });
    const evidence = await run('n-bad', 2);
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain('no working implementation after 2 attempt(s)');
    expect(evidence.implementation.attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });

  it('is an implementation failure naming the endpoint when the model call fails', async () => {
    server.enqueue({ status: 503, error: 'overloaded' });
    const evidence = await run('n-down');
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain(`model call to ${server.baseURL} failed`);
    expect(evidence.failure?.detail).toContain('overloaded');
  });

  it('is an implementation failure naming the endpoint when nothing listens there', async () => {
    const closed = await startScriptedOpenAI();
    await closed.close();
    const implementer = new LlmImplementer({ baseURL: closed.baseURL, apiKey: 'test-key', model: 'scripted-model' });
    const evidence = await runExperiment({ task: fx.task, repo, experimentId: 'e-unreachable', nodeId: 'n-unreachable', searchId: 'llm', baseCommit: repo.baseCommit, hypothesis, implementer, seeds: [1] });
    expect(evidence.failure?.kind).toBe('implementation-failed');
    expect(evidence.failure?.detail).toContain(`model call to ${closed.baseURL} failed: Connection error.`);
  });
});
