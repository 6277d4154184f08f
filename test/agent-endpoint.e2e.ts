// An agent's one way out of its sandbox: the model endpoint the search allows (--agent-endpoint),
// relayed through a socket; NATS and every other address stay unreachable, and without the
// setting the agent has no network at all.
import { ImplementerConfigSchema } from '@hypotree/messaging';
import { AgentImplementer, git, prepareArtifact, runExperiment, type ArtifactRepo } from '@hypotree/workspace';
import { createCoinTask, type CoinTask } from './support/coin-task.js';
import { startScriptedOpenAI, type ScriptedOpenAI } from './support/openai-server.js';

/** An agent that asks the endpoint for a completion, and tries NATS and another port of the endpoint's host. */
const AGENT = (otherPort: number) => `
mkdir -p notes
node -e "
const fs = require('fs');
const base = (process.env.OPENAI_BASE_URL || 'http://127.0.0.1:1/v1').replace(/\\/$/, '');
fetch(base + '/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }) })
  .then((r) => r.json()).then((j) => fs.writeFileSync('notes/reply.txt', 'reply ' + j.choices[0].message.content))
  .catch((e) => fs.writeFileSync('notes/reply.txt', 'error ' + (e.cause?.code ?? e.message)))
  .finally(() => {
    const probe = (port, file) => new Promise((done) => { const s = require('net').connect(port, '127.0.0.1'); s.on('connect', () => { fs.writeFileSync(file, 'connected'); s.destroy(); done(); }); s.on('error', (e) => { fs.writeFileSync(file, 'error ' + e.code); done(); }); });
    probe(4222, 'notes/nats.txt').then(() => probe(${otherPort}, 'notes/other.txt'));
  });
"
`;

describe('an agent with a model endpoint', () => {
  let coin: CoinTask;
  let repo: ArtifactRepo;
  let endpoint: ScriptedOpenAI;
  let other: ScriptedOpenAI;
  beforeAll(async () => {
    coin = createCoinTask();
    repo = await prepareArtifact(coin.task, coin.workdir);
    endpoint = await startScriptedOpenAI({ respond: () => ({ content: 'from the endpoint' }) });
    other = await startScriptedOpenAI({ respond: () => ({ content: 'from elsewhere' }) });
  });
  afterAll(async () => {
    await endpoint.close();
    await other.close();
    coin.cleanup();
  });

  async function attempt(agentEndpoint: string | undefined) {
    const otherPort = Number(new URL(other.baseURL).port);
    const evidence = await runExperiment({
      task: coin.task, repo, experimentId: `e-${Math.random()}`, nodeId: '1', searchId: 'endpoint', baseCommit: repo.baseCommit,
      hypothesis: { title: 'ask the model', mechanism: 'm', prediction: 'p', change: { kind: 'freeform', instructions: 'call your model' } },
      implementer: new AgentImplementer({ command: '/bin/sh', args: ['-c', AGENT(otherPort)], endpoint: agentEndpoint }),
    });
    expect(evidence.failure).toBeUndefined();
    const read = (file: string) => git(repo.path, ['show', `${evidence.commit}:${file}`]);
    return { reply: await read('notes/reply.txt'), nats: await read('notes/nats.txt'), other: await read('notes/other.txt') };
  }

  it('reaches exactly that endpoint (through OPENAI_BASE_URL), not NATS and not another port of the same host', async () => {
    const before = endpoint.requests.length;
    const seen = await attempt(endpoint.baseURL);
    expect(seen.reply).toBe('reply from the endpoint');
    expect(endpoint.requests.length).toBe(before + 1);
    expect(seen.nats).toBe('error ECONNREFUSED');
    expect(seen.other).toBe('error ECONNREFUSED');
    expect(other.requests).toHaveLength(0);
  });

  it('has no network at all without the setting', async () => {
    const before = endpoint.requests.length;
    const seen = await attempt(undefined);
    expect(seen.reply).toMatch(/^error /);
    expect(endpoint.requests.length).toBe(before);
    expect(seen.nats).toBe('error ECONNREFUSED');
  });

  it('accepts only an http(s) URL as the endpoint setting', () => {
    const agent = { kind: 'agent', command: 'a' };
    expect(ImplementerConfigSchema.safeParse({ ...agent, endpoint: 'http://127.0.0.1:8080/v1' }).success).toBe(true);
    expect(ImplementerConfigSchema.safeParse({ ...agent, endpoint: 'nats://127.0.0.1:4222' }).success).toBe(false);
    expect(ImplementerConfigSchema.safeParse({ ...agent, endpoint: 'not a url' }).success).toBe(false);
  });
});
