import { LlmDistiller } from './llm/distiller.js';
import { LlmProposer } from './llm/proposer.js';
import { OfflineDistiller } from './offline/distiller.js';
import { OfflineProposer } from './offline/proposer.js';
import { RandomProposer } from './offline/random-proposer.js';
import { TpeProposer } from './offline/tpe-proposer.js';
import type { Distiller, Proposer } from './types.js';

/** An OpenAI-compatible endpoint and the model to ask there. */
export interface LlmEndpoint {
  baseURL: string;
  model: string;
  apiKey: string;
}

/** The endpoint of the LLM variants, from OPENAI_BASE_URL, a model (or HYPOTREE_MODEL) and OPENAI_API_KEY if any; one clear error when incomplete. */
export function llmEndpoint(model: string | undefined, env: NodeJS.ProcessEnv = process.env): LlmEndpoint {
  const baseURL = env.OPENAI_BASE_URL;
  const name = model ?? env.HYPOTREE_MODEL;
  if (!baseURL || !name) {
    throw new Error('the llm proposer/distiller needs OPENAI_BASE_URL and a model (--model or HYPOTREE_MODEL); OPENAI_API_KEY if the endpoint wants one');
  }
  return { baseURL, model: name, apiKey: env.OPENAI_API_KEY ?? 'not-needed' };
}

/** The proposer of a kind; `endpoint` is asked only for the llm kind. */
export function proposerFor(kind: 'offline' | 'random' | 'tpe' | 'llm', endpoint: () => LlmEndpoint): Proposer {
  switch (kind) {
    case 'offline':
      return new OfflineProposer();
    case 'random':
      return new RandomProposer();
    case 'tpe':
      return new TpeProposer();
    case 'llm':
      return new LlmProposer(endpoint());
  }
}

/** The distiller of a kind; `endpoint` is asked only for the llm kind. */
export function distillerFor(kind: 'offline' | 'llm', endpoint: () => LlmEndpoint): Distiller {
  return kind === 'llm' ? new LlmDistiller(endpoint()) : new OfflineDistiller();
}
