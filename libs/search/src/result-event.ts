import { searchEventSchemas, type SearchEvent, issueText } from '@hypotree/events';
import type { ExperimentResultMessage } from '@hypotree/messaging';

/**
 * The event that records an executor's result. Evidence that passed the message contract but cannot
 * make a valid ExperimentSucceeded (no commit, no runs, no ref…) is recorded as a crash naming the
 * problems: the result is never lost, and never written as an event the catalogue would refuse.
 */
export function resultEvent(message: ExperimentResultMessage): SearchEvent {
  const { evidence, experimentId, nodeId, executorId } = message;
  const implementation = {
    implementer: evidence.implementation.implementer,
    attempts: evidence.implementation.attempts,
    model: evidence.implementation.model,
    usage: evidence.implementation.usage,
  };
  const common = { experimentId, nodeId, executorId, implementation, integrity: evidence.integrity };
  if (evidence.status === 'succeeded') {
    const diff = evidence.diff ?? { files: [], insertions: 0, deletions: 0 };
    const data = {
      ...common,
      commit: evidence.commit,
      ref: evidence.ref,
      runs: evidence.runs,
      report: { summary: evidence.report, filesChanged: diff.files.map((f) => f.path), insertions: diff.insertions, deletions: diff.deletions },
      durationMs: evidence.durationMs,
    };
    const parsed = searchEventSchemas.ExperimentSucceeded.safeParse(data);
    if (parsed.success) return { type: 'ExperimentSucceeded', data: parsed.data };
    const problems = issueText(parsed.error);
    return { type: 'ExperimentFailed', data: { ...common, kind: 'crash', detail: `the executor reported success with unusable evidence (${problems})`, durationMs: evidence.durationMs } };
  }
  const failure = evidence.failure ?? { kind: 'crash' as const, detail: 'the executor reported a failure without saying what failed' };
  const tail = (evidence.stderrTail || evidence.stdoutTail).slice(-800);
  return {
    type: 'ExperimentFailed',
    data: { ...common, kind: failure.kind, detail: tail ? `${failure.detail}\n${tail}` : failure.detail, durationMs: evidence.durationMs },
  };
}
