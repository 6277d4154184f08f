import { createHash } from 'node:crypto';
import type { ProducerRef } from '@hypotree/events';
import { issueText } from '@hypotree/events';
import OpenAI from 'openai';
import { z } from 'zod';
import { modelCallScope } from './model-calls.js';

/** How to reach an OpenAI-compatible endpoint (from OPENAI_BASE_URL / OPENAI_API_KEY and a configured model). */
export interface LlmConfig {
  baseURL?: string;
  apiKey: string;
  model: string;
  /** Per-request timeout; default 120 s. */
  timeoutMs?: number;
  /** Retries of the openai client itself on connection errors, 429 and 5xx; default 2. */
  maxRetries?: number;
  temperature?: number;
}

/** A chat message as sent to the endpoint. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A reply that could not be used even after the bounded retry; says what was wrong and what to do. */
export class LlmReplyError extends Error {
  constructor(
    readonly who: string,
    readonly model: string,
    readonly problems: string[],
  ) {
    super(
      `${who}: model ${model} gave no valid reply after ${problems.length} attempts (${problems.map((p, i) => `attempt ${i + 1}: ${p}`).join('; ')}). ` +
        'Check that the model supports json_schema structured output, or use a stronger model.',
    );
    this.name = 'LlmReplyError';
  }
}

/**
 * The endpoint could not be asked (unreachable, timed out, or it answered with an HTTP error after
 * the client's own retries): names the URL it tried, so a wrong OPENAI_BASE_URL is plain to see.
 */
export class LlmEndpointError extends Error {
  constructor(
    readonly who: string,
    readonly baseURL: string,
    readonly status: number | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      status === undefined
        ? `${who}: cannot reach the model endpoint ${baseURL} (${detail}); check OPENAI_BASE_URL and that the server is up`
        : `${who}: the model endpoint ${baseURL} answered HTTP ${status}: ${detail}`,
      options,
    );
    this.name = 'LlmEndpointError';
  }
}

/** The error of a failed model call, naming the endpoint: connection errors and HTTP errors become LlmEndpointError. */
export function endpointError(who: string, baseURL: string, error: unknown): unknown {
  if (error instanceof OpenAI.APIConnectionError) {
    const cause = (error.cause as Error | undefined)?.message;
    return new LlmEndpointError(who, baseURL, undefined, `${error.message.replace(/\.$/, '')}${cause && cause !== error.message ? `: ${cause}` : ''}`, { cause: error });
  }
  if (error instanceof OpenAI.APIError) return new LlmEndpointError(who, baseURL, error.status, error.message, { cause: error });
  return error;
}

/** A validated structured reply and who produced it (model, prompt hash, tokens of every attempt). */
export interface StructuredReply<T> {
  value: T;
  producer: ProducerRef;
}

/** The sha256 of the messages, recorded so a proposal or insight can be traced to its exact prompt. */
export function promptHash(messages: readonly ChatMessage[]): string {
  return createHash('sha256').update(JSON.stringify(messages)).digest('hex');
}

/** A strict json_schema response format built from a zod schema. */
export function responseFormat(name: string, schema: z.ZodType) {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { type: 'json_schema' as const, json_schema: { name, strict: true, schema: json } };
}

/** A chat client that asks for structured output, validates it with zod (and `check`), and retries once with the error fed back. */
export class StructuredChat {
  private readonly client: OpenAI;

  constructor(
    private readonly config: LlmConfig,
    private readonly who: string,
    /** What the calls are for, as recorded in ModelCalled events. */
    private readonly purpose: 'propose' | 'distill' = who.includes('distill') ? 'distill' : 'propose',
  ) {
    this.client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseURL ?? null, timeout: this.timeout, maxRetries: this.retries });
  }

  private get timeout(): number {
    return this.config.timeoutMs ?? 120_000;
  }

  private get retries(): number {
    return this.config.maxRetries ?? 2;
  }

  /** Sends the messages, and once more with the problem explained if the reply is not valid JSON of the schema or fails `check`. */
  async ask<T>(kind: string, name: string, schema: z.ZodType<T>, messages: ChatMessage[], check: (value: T) => string[] = () => []): Promise<StructuredReply<T>> {
    const hash = promptHash(messages);
    const scope = modelCallScope();
    const { purpose } = this;
    const asked = this.config.model;
    // A reply recorded for this very prompt is used as the model's, if it still passes every check.
    const recalled = scope?.recall?.(purpose, asked, hash);
    if (recalled) {
      const problem = this.problemWith(recalled.reply, schema, check);
      if (problem.ok) {
        const { reply, usage, servedBy, source } = recalled;
        scope!.answered({ purpose, model: asked, ...(servedBy ? { servedBy } : {}), promptHash: hash, reply, usage, attempts: 1, reusedFrom: source });
        return { value: problem.value, producer: { kind, model: servedBy ?? asked, promptHash: hash, usage } };
      }
    }
    const usage = { promptTokens: 0, completionTokens: 0 };
    const problems: string[] = [];
    let model = this.config.model;
    let conversation = messages;
    for (let attempt = 1; attempt <= 2; attempt++) {
      const completion = await this.client.chat.completions
        .create(
          {
            model: this.config.model,
            messages: conversation,
            response_format: responseFormat(name, schema),
            ...(this.config.temperature === undefined ? {} : { temperature: this.config.temperature }),
          },
          { timeout: this.timeout, maxRetries: this.retries },
        )
        .catch((error: unknown) => {
          throw endpointError(this.who, this.client.baseURL, error);
        });
      model = completion.model || model;
      usage.promptTokens += completion.usage?.prompt_tokens ?? 0;
      usage.completionTokens += completion.usage?.completion_tokens ?? 0;
      // A reply without choices (a server that is not quite OpenAI-compatible) is an invalid reply, retried like one.
      const content = completion.choices?.[0]?.message?.content ?? '';
      const problem = this.problemWith(content, schema, check);
      if (problem.ok) {
        scope?.answered({ purpose, model: asked, ...(model !== asked ? { servedBy: model } : {}), promptHash: hash, reply: content, usage, attempts: attempt });
        return { value: problem.value, producer: { kind, model, promptHash: hash, usage } };
      }
      problems.push(problem.error);
      conversation = [
        ...messages,
        { role: 'assistant', content },
        { role: 'user', content: `Your reply was rejected: ${problem.error}. Reply again with JSON only, matching the schema "${name}", fixing exactly these problems.` },
      ];
    }
    throw new LlmReplyError(this.who, model, problems);
  }

  private problemWith<T>(content: string, schema: z.ZodType<T>, check: (value: T) => string[]): { ok: true; value: T } | { ok: false; error: string } {
    let json: unknown;
    try {
      json = JSON.parse(content);
    } catch {
      return { ok: false, error: `the reply is not JSON (it starts with ${JSON.stringify(content.slice(0, 60))})` };
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      return { ok: false, error: issueText(parsed.error) };
    }
    const issues = check(parsed.data);
    return issues.length > 0 ? { ok: false, error: issues.join('; ') } : { ok: true, value: parsed.data };
  }
}

/**
 * The producer reference without token usage: one model call that yields several proposals or
 * insights carries its usage on the first only, so summing usage over events counts each call once.
 */
export function withoutUsage(producer: ProducerRef): ProducerRef {
  const { usage: _usage, ...rest } = producer;
  return rest;
}
