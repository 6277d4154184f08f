import { EventScript } from '@hypotree/tree/testing';
import { fold, insightsOnPath, renderTree } from '@hypotree/tree';
import { startScriptedOpenAI, type ScriptedOpenAI } from '../../../../test/support/openai-server.js';
import { LlmReplyError, promptHash } from './chat.js';
import { LlmProposer } from './proposer.js';
import { recordConstraint } from '../search.fixture.js';
import { effectiveParams } from '../space.js';
import { demoSpace, taskWith } from '../task.fixture.js';
import type { ProposalRequest } from '../types.js';

const task = taskWith(demoSpace);

function request(): ProposalRequest {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.62]);
  s.propose('1', '0', { lr: 0.01 }, 'raise lr 0.001 → 0.01');
  s.succeed('1', [0.7, 0.71]);
  s.decide('1', true);
  recordConstraint(s, 'lr-cap', { param: 'lr', relation: 'above', value: 0.3, outcome: 'hurts', support: 3, of: 3 }, ['e1']);
  const tree = fold(s.events);
  return { tree, task, parentId: '1', count: 2, insights: insightsOnPath(tree, '1'), parentParams: effectiveParams(tree, '1', demoSpace) };
}

/** request(), with both nodes gated and node 1 admitted by a decision whose reason and deltas quote the gate. */
function gatedRequest(): ProposalRequest {
  const s = new EventScript('s1');
  s.start();
  s.baseline([0.6, 0.62]);
  s.gate('0', 0.6137);
  s.propose('1', '0', { lr: 0.01 }, 'raise lr 0.001 → 0.01');
  s.succeed('1', [0.7, 0.71]);
  s.gate('1', 0.7249);
  s.add({
    type: 'HypothesisAdmitted',
    data: {
      nodeId: '1',
      policy: { name: 'admission', version: 1, params: {} },
      rule: 'verified',
      reason: 'dev gain 0.095 > 0.02 and gate gain 0.1112 > 0 over 0',
      evidence: [],
      deltas: { dev: 0.095, threshold: 0.02, noise: 0.007, gate: 0.1112, gateMargin: 0 },
    },
  });
  const tree = fold(s.events);
  return { tree, task, parentId: '1', count: 1, insights: insightsOnPath(tree, '1'), parentParams: effectiveParams(tree, '1', demoSpace) };
}

const hypothesis = (title: string, set: { name: string; value: number | string | boolean }[], insightIds: string[] = []) => ({
  title,
  mechanism: 'a larger network fits the nonlinear boundary better',
  prediction: 'dev accuracy rises above 0.705 by about 0.03',
  change: { kind: 'params', set, instructions: '' },
  insightIds,
});

describe('LlmProposer against a scripted OpenAI-compatible server', () => {
  let server: ScriptedOpenAI;
  let proposer: LlmProposer;
  beforeEach(async () => {
    server = await startScriptedOpenAI();
    proposer = new LlmProposer({ baseURL: server.baseURL, apiKey: 'test-key', model: 'scripted-model', maxRetries: 0, timeoutMs: 5000 });
  });
  afterEach(() => server.close());

  it('sends the tree view, the insights and a strict json_schema response format; returns validated proposals with model, prompt hash and usage', async () => {
    server.enqueue({
      content: { hypotheses: [hypothesis('raise width 8 → 64', [{ name: 'width', value: 64 }], ['lr-cap', 'unknown-id']), hypothesis('switch activation to relu', [{ name: 'activation', value: 'relu' }])] },
      usage: { prompt_tokens: 900, completion_tokens: 120 },
    });
    const proposals = await proposer.propose(request());

    expect(server.requests).toHaveLength(1);
    const body = server.requests[0]!.body;
    expect(body.model).toBe('scripted-model');
    const prompt = body.messages!.map((m) => String(m.content)).join('\n');
    expect(prompt).toContain('1 raise lr 0.001 → 0.01 {lr=0.01} dev=0.705');
    expect(prompt).toContain('[lr-cap] constraint (global): raising lr above 0.3 hurt 3/3 times across the tree');
    expect(prompt).toContain('- lr: float in [1.00e-4, 1] (log scale), default 0.001');
    expect(prompt).toContain('Propose 2 hypotheses under node 1.');
    expect(body.response_format).toMatchObject({ type: 'json_schema', json_schema: { name: 'hypotheses', strict: true, schema: { type: 'object', required: ['hypotheses'], additionalProperties: false } } });

    expect(proposals).toHaveLength(2);
    expect(proposals[0]).toMatchObject({ title: 'raise width 8 → 64', change: { kind: 'params', set: { width: 64 } }, insightsConsidered: ['lr-cap'] });
    expect(proposals[1]!.change).toEqual({ kind: 'params', set: { activation: 'relu' } });
    const hash = promptHash(body.messages as never);
    // The call's usage is carried once, by the first proposal, so totals over events count each call once.
    expect(proposals[0]!.proposer).toEqual({ kind: 'llm', model: 'scripted-model', promptHash: hash, usage: { promptTokens: 900, completionTokens: 120 } });
    for (const p of proposals.slice(1)) expect(p.proposer).toEqual({ kind: 'llm', model: 'scripted-model', promptHash: hash });
  });

  it('retries exactly once with the problem fed back when a reply is out of space or violates a constraint', async () => {
    server.enqueue(
      { content: { hypotheses: [hypothesis('raise lr to 0.5', [{ name: 'lr', value: 0.5 }]), hypothesis('widen a lot', [{ name: 'width', value: 4096 }])] }, usage: { prompt_tokens: 100, completion_tokens: 10 } },
      { content: { hypotheses: [hypothesis('raise lr to 0.03', [{ name: 'lr', value: 0.03 }])] }, usage: { prompt_tokens: 150, completion_tokens: 12 } },
    );
    const proposals = await proposer.propose(request());

    expect(server.requests).toHaveLength(2);
    const retry = server.requests[1]!.body.messages!;
    const feedback = String(retry.at(-1)!.content);
    expect(feedback).toContain('lr=0.5 violates constraint [lr-cap]');
    expect(feedback).toContain('width must be within [2, 512], got 4096');
    expect(retry.at(-2)).toMatchObject({ role: 'assistant' });
    expect(proposals.map((p) => p.change)).toEqual([{ kind: 'params', set: { lr: 0.03 } }]);
    expect(proposals[0]!.proposer.usage).toEqual({ promptTokens: 250, completionTokens: 22 });
    expect(proposals[0]!.proposer.promptHash).toBe(promptHash(server.requests[0]!.body.messages as never));
  });

  it('gives a clear error after the bounded retry when the model keeps replying badly', async () => {
    server.enqueue({ content: 'Sure! Here are some ideas: raise lr.' }, { content: { hypotheses: [] } });
    const failure = proposer.propose(request());
    await expect(failure).rejects.toBeInstanceOf(LlmReplyError);
    await expect(failure).rejects.toThrow(/llm proposer: model scripted-model gave no valid reply after 2 attempts \(attempt 1: the reply is not JSON .*attempt 2: hypotheses: Too small/);
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a configuration the tree already holds', async () => {
    server.enqueue(
      { content: { hypotheses: [hypothesis('keep lr', [{ name: 'lr', value: 0.01 }])] } },
      { content: { hypotheses: [hypothesis('turn on batchnorm', [{ name: 'batchnorm', value: true }])] } },
    );
    const proposals = await proposer.propose(request());
    expect(String(server.requests[1]!.body.messages!.at(-1)!.content)).toContain('this configuration was already tried in the tree');
    expect(proposals[0]!.change).toEqual({ kind: 'params', set: { batchnorm: true } });
  });

  it('keeps gate scores out of the prompt (the gate stays an independent check), while the tree view for a person shows them', async () => {
    server.enqueue({ content: { hypotheses: [hypothesis('raise width 8 → 64', [{ name: 'width', value: 64 }])] } });
    const req = gatedRequest();
    await proposer.propose(req);
    const prompt = server.requests[0]!.body.messages!.map((m) => String(m.content)).join('\n');
    expect(prompt).toContain('1 raise lr 0.001 → 0.01 {lr=0.01} dev=0.705');
    expect(prompt).not.toMatch(/gate=|gate gain|gateMargin|0\.6137|0\.7249|0\.1112/);
    expect(renderTree(req.tree)).toContain('gate=0.7249');
  });
});
