import { LlmDistiller, LlmProposer, OfflineDistiller, OfflineProposer, RandomProposer, type Distiller, type Proposer } from '@hypotree/research';
import type { SearchConfig } from '@hypotree/search';

/** The model endpoint the LLM variants use: any OpenAI-compatible server. */
export function llmEndpoint(config: SearchConfig, env: NodeJS.ProcessEnv = process.env) {
  const baseURL = env.OPENAI_BASE_URL;
  const model = config.research.model ?? env.HYPOTREE_MODEL;
  if (!baseURL || !model) {
    throw new Error('the llm proposer/distiller needs OPENAI_BASE_URL and a model (--model or HYPOTREE_MODEL); OPENAI_API_KEY if the endpoint wants one');
  }
  return { baseURL, model, apiKey: env.OPENAI_API_KEY ?? 'not-needed' };
}

/** The proposer the configuration names. */
export function proposerFor(config: SearchConfig): Proposer {
  switch (config.research.proposer) {
    case 'offline':
      return new OfflineProposer();
    case 'random':
      return new RandomProposer();
    case 'llm':
      return new LlmProposer(llmEndpoint(config));
  }
}

/** The distiller the configuration names. */
export function distillerFor(config: SearchConfig): Distiller {
  return config.research.distiller === 'llm' ? new LlmDistiller(llmEndpoint(config)) : new OfflineDistiller();
}
