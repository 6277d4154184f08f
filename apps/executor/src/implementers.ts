import type { ImplementerConfig } from '@hypotree/messaging';
import { AgentImplementer, LlmImplementer, ParamsImplementer, type Implementer } from '@hypotree/workspace';

/** The implementer an experiment asks for. LLM credentials come from this executor's own environment, never from the message. */
export function implementerFor(config: ImplementerConfig, env: NodeJS.ProcessEnv = process.env): Implementer {
  switch (config.kind) {
    case 'params':
      return new ParamsImplementer();
    case 'agent':
      return new AgentImplementer({ command: config.command, args: config.args, binds: config.binds, endpoint: config.endpoint });
    case 'llm': {
      const baseURL = config.baseURL ?? env.OPENAI_BASE_URL;
      if (!baseURL) throw new Error('the llm implementer needs a base URL: set OPENAI_BASE_URL for the executor');
      return new LlmImplementer({ baseURL, apiKey: env.OPENAI_API_KEY ?? 'not-needed', model: config.model, maxAttempts: config.maxAttempts });
    }
  }
}
