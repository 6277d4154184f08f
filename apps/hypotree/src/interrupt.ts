import { SearchFailedError, SearchInterrupted, type SearchSummary } from '@hypotree/coordinator';

/** What the command that resumes a search needs besides its id: the task and where the log is. */
export interface ResumeHint {
  task: string;
  workdir?: string;
  store?: string;
  nats?: string;
  /** `--dispatch` and `--transfer`, when not the defaults. */
  dispatch?: string;
  transfer?: string;
}

/** The default `--workdir`, left out of the resume command. */
const DEFAULT_WORKDIR = '.hypotree';

/** A word as a POSIX shell reads it back: bare when it is safe, else single-quoted. */
const shellWord = (word: string): string => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** The exact command line that resumes a search. */
export function resumeCommand(searchId: string, hint: ResumeHint): string {
  const args = ['hypotree', 'run', hint.task, '--search-id', searchId];
  if (hint.workdir !== undefined && hint.workdir !== DEFAULT_WORKDIR) args.push('--workdir', hint.workdir);
  if (hint.store !== undefined) args.push('--store', hint.store);
  if (hint.nats !== undefined) args.push('--nats', hint.nats);
  if (hint.nats !== undefined && hint.dispatch !== undefined && hint.dispatch !== 'jetstream') args.push('--dispatch', hint.dispatch);
  if (hint.nats !== undefined && hint.transfer !== undefined && hint.transfer !== 'bundles') args.push('--transfer', hint.transfer);
  return args.map(shellWord).join(' ');
}

/**
 * Runs a search so that Ctrl-C stops it cleanly: the first SIGINT aborts the run (nothing more is
 * recorded, running evaluations and experiments are killed and their worktrees removed), then the
 * search id and the command that resumes it are printed and the exit code is 130; a second SIGINT
 * exits at once. A search that failed prints one line saying why and exits 1. Returns the summary
 * of a run that finished, undefined otherwise (the exit code is set).
 */
export async function runInterruptibly(
  run: (signal: AbortSignal) => Promise<SearchSummary>,
  hint: ResumeHint,
  options: { json?: boolean; beforeMessage?: () => void } = {},
): Promise<SearchSummary | undefined> {
  const controller = new AbortController();
  const again = () => {
    console.error('hypotree: interrupted again; exiting now (worktrees left behind are removed by the next run or by `hypotree gc`)');
    process.exit(130);
  };
  const first = () => {
    options.beforeMessage?.();
    console.error('hypotree: interrupted; stopping the search (running experiments are killed, their worktrees removed; Ctrl-C again to exit at once)…');
    process.once('SIGINT', again);
    controller.abort(new Error('interrupted (SIGINT)'));
  };
  process.once('SIGINT', first);
  try {
    return await run(controller.signal);
  } catch (error) {
    options.beforeMessage?.();
    if (error instanceof SearchInterrupted) {
      const command = resumeCommand(error.searchId, hint);
      console.error(`hypotree: search ${error.searchId} interrupted at revision ${error.revision}; nothing after the interrupt was recorded. Resume it with:\n  ${command}`);
      if (options.json) console.log(JSON.stringify({ searchId: error.searchId, status: 'interrupted', revision: error.revision, resume: command }));
      exitSoon(130);
      return undefined;
    }
    if (error instanceof SearchFailedError) {
      console.error(`hypotree: ${error.message}`);
      if (options.json) console.log(JSON.stringify({ searchId: error.searchId, status: 'failed', failure: error.failure }));
      process.exitCode = 1;
      return undefined;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', first);
    process.removeListener('SIGINT', again);
  }
}

// The exit code, and an exit soon after should a request left in flight (a model call being
// answered) still hold the process: everything of the run has been closed by now.
function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2_000).unref();
}
