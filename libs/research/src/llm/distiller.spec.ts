import { fold, renderTree } from '@hypotree/tree';
import { EventScript } from '@hypotree/tree/testing';
import { startScriptedOpenAI, type ScriptedOpenAI } from '../../../../test/support/openai-server.js';
import { promptHash } from './chat.js';
import { LlmDistiller } from './distiller.js';
import { demoSpace, taskWith } from '../task.fixture.js';

const task = taskWith(demoSpace);

/** Given: 1 admitted under the root, with an earlier LLM lesson; under 1, 1.1 crashed and 1.2 was admitted. */
function given(): EventScript {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.6]);
  s.propose('1', '0', { lr: 0.01 });
  s.succeed('1', [0.7, 0.7]);
  s.decide('1', true);
  s.add({
    type: 'InsightDistilled',
    data: { insightId: 'llm-old-root', nodeId: '0', scope: 'subtree', kind: 'finding', text: 'Raising lr from the default helped (+0.1 at node 1).', evidence: [], distiller: { kind: 'llm', model: 'm' } },
  });
  s.propose('1.1', '1', { lr: 0.9 });
  s.failExperiment('1.1', 'crash');
  s.propose('1.2', '1', { width: 64 });
  s.succeed('1.2', [0.78, 0.79]);
  s.decide('1.2', true);
  return s;
}

describe('LlmDistiller against a scripted OpenAI-compatible server', () => {
  let server: ScriptedOpenAI;
  let distiller: LlmDistiller;
  beforeEach(async () => {
    server = await startScriptedOpenAI();
    distiller = new LlmDistiller({ baseURL: server.baseURL, apiKey: 'test-key', model: 'scripted-model', maxRetries: 0, timeoutMs: 5000 });
  });
  afterEach(() => server.close());

  it('summarises the children of each node on the parent chain into its insight, up to the root, superseding the previous LLM insight', async () => {
    const tree = fold(given().events);
    server.enqueue({
      content: {
        insights: [
          { nodeId: '1', kind: 'finding', text: 'Under node 1, widening to 64 helped (+0.085 at 1.2) while lr 0.9 crashed (1.1): keep lr moderate and grow capacity.' },
          { nodeId: '0', kind: 'finding', text: 'A moderate lr (0.01) plus a wider network is the best path so far (node 1.2).' },
        ],
      },
      usage: { prompt_tokens: 700, completion_tokens: 80 },
    });
    const drafts = await distiller.distill({ tree, task, nodeId: '1.2' });

    const body = server.requests[0]!.body;
    const prompt = body.messages!.map((m) => String(m.content)).join('\n');
    expect(prompt).toContain('- child 1.1 try 1.1 {lr=0.9} [failed: crash] (crash in test)');
    expect(prompt).toContain('- child 1.2 try 1.2 {width=64} dev=0.785');
    expect(prompt).toContain('Previous lesson of node 0: Raising lr from the default helped (+0.1 at node 1).');
    expect(prompt).toContain('Write one lesson for each of: 1, 0.');
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'insights', strict: true } });

    const producer = { kind: 'llm', model: 'scripted-model', promptHash: promptHash(body.messages as never), usage: { promptTokens: 700, completionTokens: 80 } };
    const n = (id: string) => tree.nodes.get(id)!;
    expect(drafts).toEqual([
      {
        insightId: expect.stringMatching(/^llm-[0-9a-f]{16}$/),
        nodeId: '1',
        scope: 'subtree',
        kind: 'finding',
        text: 'Under node 1, widening to 64 helped (+0.085 at 1.2) while lr 0.9 crashed (1.1): keep lr moderate and grow capacity.',
        evidence: [n('1.1').failure!.eventId, n('1.2').result!.eventId, n('1.2').decision!.eventId],
        distiller: producer,
        supersedes: [],
      },
      {
        insightId: expect.stringMatching(/^llm-[0-9a-f]{16}$/),
        nodeId: '0',
        scope: 'subtree',
        kind: 'finding',
        text: 'A moderate lr (0.01) plus a wider network is the best path so far (node 1.2).',
        evidence: [n('1').result!.eventId, n('1').decision!.eventId],
        // One call's usage is carried by its first insight only, so totals count the call once.
        distiller: { kind: producer.kind, model: producer.model, promptHash: producer.promptHash },
        supersedes: ['llm-old-root'],
      },
    ]);
  });

  it('retries once when the reply skips a node of the chain, with the gap named', async () => {
    const tree = fold(given().events);
    server.enqueue(
      { content: { insights: [{ nodeId: '1', kind: 'constraint', text: 'lr 0.9 crashes.' }] } },
      { content: { insights: [{ nodeId: '1', kind: 'constraint', text: 'lr 0.9 crashes.' }, { nodeId: '0', kind: 'finding', text: 'Moderate lr helps.' }] } },
    );
    const drafts = await distiller.distill({ tree, task, nodeId: '1.1' });
    expect(server.requests).toHaveLength(2);
    expect(String(server.requests[1]!.body.messages!.at(-1)!.content)).toContain('missing lessons for nodes 0');
    expect(drafts.map((d) => [d.nodeId, d.kind])).toEqual([
      ['1', 'constraint'],
      ['0', 'finding'],
    ]);
  });

  it('keeps gate scores, gate deltas and gate-quoting reasons out of the prompt; names the rule and the dev gain instead', async () => {
    const s = new EventScript('s1');
    s.start();
    s.baseline([0.6, 0.6]);
    s.gate('0', 0.6137);
    s.propose('1', '0', { lr: 0.01 });
    s.succeed('1', [0.7, 0.7]);
    s.gate('1', 0.7249);
    s.decide('1', true);
    s.propose('1.1', '1', { width: 64 });
    s.succeed('1.1', [0.78, 0.79]);
    s.gate('1.1', 0.6981);
    s.add({
      type: 'HypothesisRejected',
      data: {
        nodeId: '1.1',
        policy: { name: 'admission', version: 1, params: {} },
        rule: 'gate-disagrees',
        reason: 'dev gain 0.085 cleared the threshold but the gate moved -0.0268 against 1',
        evidence: [],
        deltas: { dev: 0.085, threshold: 0.01, noise: 0.005, gate: -0.0268, gateMargin: 0 },
      },
    });
    const tree = fold(s.events);
    server.enqueue({ content: { insights: [{ nodeId: '1', kind: 'finding', text: 'Widening did not hold up.' }, { nodeId: '0', kind: 'finding', text: 'Moderate lr helps.' }] } });
    await distiller.distill({ tree, task, nodeId: '1.1' });
    const prompt = server.requests[0]!.body.messages!.map((m) => String(m.content)).join('\n');
    expect(prompt).toContain('- child 1.1 try 1.1 {width=64} dev=0.785');
    expect(prompt).toContain('rejected by gate-disagrees (dev gain 0.085 vs threshold 0.01)');
    expect(prompt).not.toMatch(/gate=|gate moved|gate gain|gateMargin|0\.6137|0\.7249|0\.6981|0\.0268/);
    expect(renderTree(tree)).toContain('gate=0.6981');
  });
});
