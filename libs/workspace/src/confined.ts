import type { Task } from '@hypotree/task';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { EvaluationSite } from './evaluate.js';
import { ImplementationFailed, type ImplementationContext } from './implementer.js';
import { runProcess, type RunOutcome } from './process.js';
import { openEndpointRelay, type Bind } from './sandbox/index.js';
import { candidateView } from './views.js';

/** Extra read-only binds an agent asked for, at their own paths; none may hold or sit inside sealed data. */
function agentBinds(task: Task, hosts: readonly string[]): Bind[] {
  return hosts.map((host) => {
    const real = existsSync(host) ? realpathSync(host) : host;
    for (const sealed of [task.sealed.gate, task.sealed.test]) {
      const overlaps = !path.relative(real, sealed).startsWith('..') || !path.relative(sealed, real).startsWith('..');
      if (overlaps) throw new ImplementationFailed(`refusing to bind ${host} into the agent's sandbox: it holds or is inside sealed data`);
    }
    return { host: real, inside: real, writable: false };
  });
}

/**
 * Runs an implementer's command in the candidate's sandbox with the worktree writable at /work:
 * no task folder, no sealed data, no network — but the agent's own read-only binds and, when the
 * search names one, its model endpoint (relayed in; its URL in OPENAI_BASE_URL).
 */
export async function runInWorktree(
  site: EvaluationSite,
  command: string,
  args: readonly string[],
  options: Parameters<ImplementationContext['runConfined']>[2],
): Promise<RunOutcome> {
  const { task } = site;
  const timeoutMs = Math.min(options.timeoutMs ?? Infinity, site.deadline - Date.now());
  const view = candidateView(task, site.worktree, true, timeoutMs);
  const binds = [...view.binds, ...agentBinds(task, options.binds ?? [])];
  const relay = options.endpoint !== undefined && site.sandbox.kind === 'allowlist' ? await openEndpointRelay(options.endpoint) : undefined;
  const endpointUrl = relay?.insideUrl ?? options.endpoint;
  const [file, argv] = relay?.wrap(command, args) ?? [command, args];
  try {
    return await runProcess({
      command: file,
      args: argv,
      view: { ...view, binds: [...binds, ...(relay?.binds ?? [])] },
      scratch: site.scratch,
      timeoutMs,
      outputCapBytes: task.spec.budgets.outputCapBytes,
      env: { ...options.env, ...(endpointUrl === undefined ? {} : { OPENAI_BASE_URL: endpointUrl, HYPOTREE_MODEL_ENDPOINT: endpointUrl }) },
      stdin: options.stdin,
      signal: site.signal,
      sandbox: site.sandbox,
    });
  } finally {
    await relay?.close();
  }
}
