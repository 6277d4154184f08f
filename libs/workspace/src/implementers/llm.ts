import { isAllowedPath, tail, type Hypothesis } from '@hypotree/task';
import OpenAI from 'openai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TokenUsage } from '@hypotree/events';
import { git } from '../git.js';
import { ImplementationFailed, writeWorktreeFile, type Implementation, type ImplementationContext, type Implementer } from '../implementer.js';
import { hypothesisText } from './agent.js';

/** The structured answer asked of the model: whole-file replacements of allowed files. */
export const FileEditsSchema = z.strictObject({
  summary: z.string(),
  edits: z.array(z.strictObject({ path: z.string(), content: z.string() })).min(1),
});
export type FileEdits = z.infer<typeof FileEditsSchema>;

/** Where the model lives and how hard to try. */
export interface LlmImplementerOptions {
  baseURL: string;
  apiKey: string;
  model: string;
  /** Attempts in total (first try plus fixes); default 3. */
  maxAttempts?: number;
  /** Largest file (bytes) shown to the model; default 50 000. */
  maxFileBytes?: number;
}

const SYSTEM = [
  'You implement one research hypothesis as file edits in a git repository.',
  'The hypothesis is fixed: never change what it claims; only make the code and config realise it.',
  'Answer with JSON {"summary": string, "edits": [{"path": string, "content": string}]} where content is the whole new file.',
  'You may only edit the allowed paths listed below.',
].join('\n');

/** Asks an OpenAI-compatible model for file edits, applies them, checks dev, and feeds errors back a bounded number of times. */
export class LlmImplementer implements Implementer {
  readonly name = 'llm';
  private readonly client: OpenAI;

  constructor(private readonly options: LlmImplementerOptions) {
    this.client = new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey, maxRetries: 0 });
  }

  async implement(ctx: ImplementationContext): Promise<Implementation> {
    const maxAttempts = this.options.maxAttempts ?? 3;
    const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: `${SYSTEM}\nAllowed paths: ${ctx.task.spec.allowedPaths.join(', ')}` },
      { role: 'user', content: await this.prompt(ctx.worktree, ctx.task.spec.allowedPaths, ctx.hypothesis, ctx.feedback) },
    ];
    let problem = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      const completion = await this.client.chat.completions
        .create(
          {
            model: this.options.model,
            messages,
            response_format: { type: 'json_schema', json_schema: { name: 'file_edits', strict: true, schema: z.toJSONSchema(FileEditsSchema) as Record<string, unknown> } },
          },
          { signal: ctx.signal },
        )
        .catch((err: Error) => {
          // The experiment fails (implementation-failed), naming the endpoint; the search goes on.
          const cause = (err.cause as Error | undefined)?.message;
          throw new ImplementationFailed(`model call to ${this.options.baseURL} failed: ${err.message}${cause && cause !== err.message ? ` (${cause})` : ''}`, attempt, usage);
        });
      usage.promptTokens += completion.usage?.prompt_tokens ?? 0;
      usage.completionTokens += completion.usage?.completion_tokens ?? 0;
      // A reply without choices (a server that is not quite OpenAI-compatible) is an invalid answer, fed back like one.
      const content = completion.choices?.[0]?.message?.content ?? '';
      messages.push({ role: 'assistant', content });
      problem = await this.apply(ctx, content);
      if (problem === '') {
        const dev = await ctx.checkDev();
        if (dev.ok) {
          const edits = FileEditsSchema.parse(JSON.parse(content));
          return { summary: edits.summary, attempts: attempt, model: this.options.model, usage };
        }
        problem = `the dev evaluator failed (${dev.kind}): ${dev.detail}\nstdout tail:\n${tail(dev.stdoutTail, 1500)}\nstderr tail:\n${tail(dev.stderrTail, 1500)}`;
      }
      messages.push({ role: 'user', content: `That implementation did not work: ${problem}\nFix the implementation (not the hypothesis) and answer again with the full JSON.` });
    }
    throw new ImplementationFailed(`no working implementation after ${maxAttempts} attempt(s); last problem: ${tail(problem, 1500)}`, maxAttempts, usage);
  }

  private async apply(ctx: ImplementationContext, content: string): Promise<string> {
    let edits: FileEdits;
    try {
      edits = FileEditsSchema.parse(JSON.parse(content));
    } catch (err) {
      return `the answer is not valid JSON of the requested shape: ${(err as Error).message}`;
    }
    const outside = edits.edits.filter((e) => !isAllowedPath(e.path, ctx.task.spec.allowedPaths)).map((e) => e.path);
    if (outside.length > 0) return `these paths may not be edited: ${outside.join(', ')} (allowed: ${ctx.task.spec.allowedPaths.join(', ')})`;
    try {
      for (const edit of edits.edits) await writeWorktreeFile(ctx.worktree, edit.path, edit.content);
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  }

  private async prompt(worktree: string, allowed: readonly string[], hypothesis: Hypothesis, feedback?: string): Promise<string> {
    const tracked = (await git(worktree, ['ls-files', '-z'])).split('\0').filter((f) => f !== '' && isAllowedPath(f, allowed));
    const limit = this.options.maxFileBytes ?? 50_000;
    const files = await Promise.all(
      tracked.map(async (f) => {
        const text = await readFile(path.join(worktree, f), 'utf8');
        return `--- ${f} ---\n${text.length > limit ? `${text.slice(0, limit)}\n[truncated]` : text}`;
      }),
    );
    return `${hypothesisText(hypothesis, feedback)}\nCurrent allowed files:\n${files.join('\n')}`;
  }
}
