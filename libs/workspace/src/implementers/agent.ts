import { tail, type Hypothesis } from '@hypotree/task';
import { ImplementationFailed, type Implementation, type ImplementationContext, type Implementer } from '../implementer.js';

/** How to start an external coding agent. */
export interface AgentCommand {
  command: string;
  args?: string[];
  /** Variables given to the agent on purpose (e.g. its own API key); nothing else is inherited. */
  env?: Record<string, string>;
  timeoutSec?: number;
  /** Host paths the agent needs (its install, its config), visible read-only at the same paths in its sandbox. */
  binds?: string[];
  /** The one model endpoint the agent may reach (its URL inside is in OPENAI_BASE_URL); absent: no network. */
  endpoint?: string;
}

/** The hypothesis as the plain text an agent reads on stdin. */
export function hypothesisText(h: Hypothesis, feedback?: string): string {
  const change = h.change.kind === 'params' ? `Set parameters: ${JSON.stringify(h.change.set)}` : h.change.instructions;
  const lines = [`# ${h.title}`, '', `Mechanism: ${h.mechanism}`, `Prediction: ${h.prediction}`, '', 'Change to make:', change];
  if (feedback !== undefined) lines.push('', 'Feedback on an earlier attempt:', feedback);
  return `${lines.join('\n')}\n`;
}

/** Runs a configured coding-agent command line in the worktree, confined, with the hypothesis on stdin. */
export class AgentImplementer implements Implementer {
  readonly name = 'agent';

  constructor(private readonly agent: AgentCommand) {}

  async implement(ctx: ImplementationContext): Promise<Implementation> {
    const outcome = await ctx.runConfined(this.agent.command, this.agent.args ?? [], {
      stdin: hypothesisText(ctx.hypothesis, ctx.feedback),
      env: this.agent.env,
      binds: this.agent.binds,
      endpoint: this.agent.endpoint,
      timeoutMs: (this.agent.timeoutSec ?? ctx.task.spec.budgets.experimentTimeoutSec) * 1000,
    });
    if (outcome.timedOut) throw new ImplementationFailed(`agent '${this.agent.command}' timed out; stderr: ${tail(outcome.stderr, 500)}`);
    if (outcome.exitCode !== 0) {
      throw new ImplementationFailed(`agent '${this.agent.command}' exited with ${outcome.exitCode ?? outcome.signal}; stderr: ${tail(outcome.stderr, 500)}`);
    }
    return { summary: tail(outcome.stdout.trim(), 500) || `agent '${this.agent.command}' finished without a summary`, attempts: 1 };
  }
}
