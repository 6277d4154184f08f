import type { RecordedRequest, ScriptedResponse } from './openai-server.js';

/** Parameter sets the scripted proposer cycles through (examples/spirals' space). */
export const SPIRALS_CONFIGS: Record<string, string | number>[] = [
  { features: 'fourier', activation: 'tanh', learningRate: 0.3 },
  { features: 'poly2', activation: 'relu', learningRate: 0.1 },
  { features: 'fourier', activation: 'relu', learningRate: 0.05, epochs: 100 },
  { hiddenUnits: 32, learningRate: 0.3, epochs: 200 },
  { features: 'fourier', activation: 'tanh', learningRate: 0.3, epochs: 150, hiddenUnits: 16 },
  { batchSize: 16, learningRate: 0.1 },
];

/** The last user message of a chat request. */
export function userText(body: RecordedRequest['body']): string {
  return String(body.messages?.filter((m) => m.role === 'user').at(-1)?.content ?? '');
}

/**
 * Plays a model for examples/spirals: hypotheses from `configs` in turn for the proposer, one lesson
 * per asked node for the distiller, each reply with the same token usage.
 */
export function spiralsModel(configs = SPIRALS_CONFIGS, usage = { prompt_tokens: 120, completion_tokens: 40 }) {
  let proposals = 0;
  return (body: RecordedRequest['body']): ScriptedResponse => {
    const format = body.response_format as { json_schema: { name: string; schema: { properties: { hypotheses?: { maxItems?: number } } } } };
    if (format.json_schema.name === 'insights') {
      const ids = /Write one lesson for each of: (.+)\.$/m.exec(userText(body))![1]!.split(', ');
      return { content: { insights: ids.map((nodeId) => ({ nodeId, kind: 'finding', text: `Under ${nodeId}, fourier features with tanh learn the spirals; raw inputs stay at chance.` })) }, usage };
    }
    const count = format.json_schema.schema.properties.hypotheses?.maxItems ?? 1;
    const hypotheses = Array.from({ length: count }, () => {
      const set = configs[proposals++ % configs.length]!;
      return {
        title: `try ${Object.entries(set).map(([k, v]) => `${k}=${v}`).join(' ')}`,
        mechanism: 'richer features and a usable learning rate let the network separate the spirals',
        prediction: 'dev accuracy rises well above the parent',
        change: { kind: 'params', set: Object.entries(set).map(([name, value]) => ({ name, value })), instructions: '' },
        insightIds: [],
      };
    });
    return { content: { hypotheses }, usage };
  };
}
