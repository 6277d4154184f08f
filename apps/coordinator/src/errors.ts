import type { SearchEventData } from '@hypotree/events';

/**
 * The line of a failed run's output that most likely says what went wrong: the last one naming an
 * error (a runtime's trailing version banner is not it), else the last line.
 */
export function diagnosisLine(output: string): string | undefined {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^--- .* ---$/.test(l));
  const telling = /\b(error|exception|cannot|can't|not found|no such file|denied|refused|traceback|fatal|failed)\b/i;
  return [...lines].reverse().find((l) => telling.test(l)) ?? lines.at(-1);
}

/** A search that ended with SearchFailed (now, or before this resume): one line says why. */
export class SearchFailedError extends Error {
  constructor(
    readonly searchId: string,
    readonly failure: SearchEventData<'SearchFailed'>,
  ) {
    const said = diagnosisLine(failure.outputTail);
    super(`search ${searchId} failed: ${failure.reason}${said === undefined ? '' : ` — it printed: ${said.length > 200 ? `${said.slice(0, 200)}…` : said}`}`);
    this.name = 'SearchFailedError';
  }
}

/** A run stopped on request (Ctrl-C): nothing more was recorded after the stop, and the search resumes from its log. */
export class SearchInterrupted extends Error {
  constructor(
    readonly searchId: string,
    /** The last revision of its stream (-1: nothing was recorded yet). */
    readonly revision: number,
    readonly reason: unknown,
  ) {
    super(`search ${searchId} was interrupted at revision ${revision}`);
    this.name = 'SearchInterrupted';
  }
}

/**
 * A replay without `--execute` reached something its family never paid for: an experiment, an
 * evaluation or a model call. The replay stops there (what it recorded so far stays, and resumes
 * with `--execute`); `need` and `detail` say what was missing.
 */
export class ReplayNeeds extends Error {
  constructor(
    readonly need: 'experiment' | 'dev evaluation' | 'gate evaluation' | 'test evaluation' | 'model call',
    readonly detail: string,
  ) {
    super(`the replay needs a ${need} the family never ran: ${detail}`);
    this.name = 'ReplayNeeds';
  }
}
