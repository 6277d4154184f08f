import type { CandidateFailure, MetricReport, OutputRejected } from '@hypotree/scorer';

/** Why an evaluation produced no score. `scorer-error` is the trusted side failing, never the candidate. */
export type EvaluationFailureKind = 'timeout' | 'crash' | 'no-metric' | 'malformed-output' | 'scorer-error';

/** One candidate run as hypotree saw it. */
export interface CandidateRunRecord {
  id: number;
  command: string;
  ok: boolean;
  failure?: CandidateFailure;
  detail?: string;
  allowFailure: boolean;
  durationMs: number;
  /** The tail of the candidate's stderr: its own log, shown when it is the candidate that failed. */
  stderrTail: string;
}

/** Everything one scorer run did, as hypotree observed it: the only input to the verdict. */
export interface ScoringTranscript {
  /** The objective's metric name. */
  metric: string;
  exit: { code: number | undefined; signal: string | undefined; timedOut: boolean; aborted: boolean; limitMs: number };
  candidateRuns: readonly CandidateRunRecord[];
  reports: readonly (MetricReport | OutputRejected)[];
  protocolErrors: readonly string[];
}

export type ScoringVerdict = { ok: true; value: number } | { ok: false; kind: EvaluationFailureKind; detail: string; candidateRun?: CandidateRunRecord };

const CANDIDATE_KIND: Record<CandidateFailure, EvaluationFailureKind> = { timeout: 'timeout', crash: 'crash', 'output-cap': 'malformed-output' };

/**
 * The score of one scorer run, or why there is none. The candidate's faults come first: a
 * candidate run that failed (and was not allowed to) fails the evaluation whatever the scorer
 * said afterwards; then the scorer's own faults; a score only from exactly one metric report
 * on the channel, under the objective's metric, from a scorer that exited cleanly.
 */
export function verdictOf(t: ScoringTranscript): ScoringVerdict {
  if (t.exit.aborted) return { ok: false, kind: 'crash', detail: 'the evaluation was aborted' };
  const failed = t.candidateRuns.find((r) => !r.ok && !r.allowFailure);
  if (failed !== undefined) {
    const detail = `candidate run ${failed.id} (${failed.command}) failed (${failed.failure}): ${failed.detail ?? ''}`.trim();
    return { ok: false, kind: CANDIDATE_KIND[failed.failure ?? 'crash'], detail, candidateRun: failed };
  }
  if (t.exit.timedOut) return { ok: false, kind: 'timeout', detail: `the evaluation exceeded its ${Math.round(t.exit.limitMs / 100) / 10}s wall-clock limit; it was killed` };
  if (t.protocolErrors.length > 0) return { ok: false, kind: 'scorer-error', detail: `the scorer broke the scoring protocol: ${t.protocolErrors.join('; ')}` };
  if (t.reports.length > 1) return { ok: false, kind: 'scorer-error', detail: `the scorer reported ${t.reports.length} results; exactly one is allowed` };
  const report = t.reports[0];
  if (report?.type === 'reject-output') return { ok: false, kind: 'malformed-output', detail: `the scorer rejected the candidate's output: ${report.detail}` };
  if (t.exit.code !== 0) {
    const how = t.exit.code === undefined ? `was killed by ${t.exit.signal ?? 'a signal'}` : `exited with code ${t.exit.code}`;
    return { ok: false, kind: 'scorer-error', detail: `the scorer ${how}` };
  }
  if (report === undefined) return { ok: false, kind: 'no-metric', detail: 'the scorer exited without reporting a metric on the scoring channel' };
  if (report.metric !== t.metric) return { ok: false, kind: 'no-metric', detail: `the scorer reported '${report.metric}', the objective is '${t.metric}'` };
  return { ok: true, value: report.value };
}
