import { AsyncLocalStorage } from 'node:async_hooks';
import type { ModelCall, ReuseSource, TokenUsage } from '@hypotree/events';

/** A reply recorded earlier for the same model and prompt, and the event it was recorded in. */
export interface RecalledReply {
  reply: string;
  usage: TokenUsage;
  /** The model the endpoint named when it answered, when it was not the one asked for. */
  servedBy?: string;
  source: ReuseSource;
}

/**
 * Who hears of the model calls made while a proposer or a distiller works for one request, and
 * where an earlier reply may come from. The coordinator records every call it hears of (ModelCalled
 * events: the log as a cache of replies); a replay answers a prompt it has seen from that cache.
 */
export interface ModelCallScope {
  /**
   * The recorded reply for this model and prompt hash, or undefined to ask the model. May throw to
   * refuse a call that has no recorded reply (a replay that may not spend anything).
   */
  recall?(purpose: ModelCall['purpose'], model: string, promptHash: string): RecalledReply | undefined;
  /** Every call that produced the reply used, asked or recalled. */
  answered(call: ModelCall): void;
}

const current = new AsyncLocalStorage<ModelCallScope>();

/** Runs `work` with the model calls it makes reported to (and answered from) `scope`. */
export function withModelCalls<T>(scope: ModelCallScope, work: () => Promise<T>): Promise<T> {
  return current.run(scope, work);
}

/** The scope of the request being worked on, if any. */
export function modelCallScope(): ModelCallScope | undefined {
  return current.getStore();
}

/** Runs `work` and returns what it produced with the model calls it made or recalled. */
export async function collectModelCalls<T>(work: () => Promise<T>, recall?: ModelCallScope['recall']): Promise<{ value: T; calls: ModelCall[] }> {
  const calls: ModelCall[] = [];
  const value = await withModelCalls({ ...(recall ? { recall } : {}), answered: (call) => calls.push(call) }, work);
  return { value, calls };
}
