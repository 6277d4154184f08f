/**
 * The scoring channel: newline-delimited JSON on file descriptor 3 of the scorer process, a
 * socket only the scorer and hypotree hold. The candidate never gets it, so nothing the
 * candidate prints can become a score. Any language can speak it; this package is the Node side.
 */

/** File descriptor of the scoring channel in the scorer process. */
export const SCORING_FD = 3;

/** Why a candidate run produced no usable output. */
export type CandidateFailure = 'timeout' | 'crash' | 'output-cap';

/** Scorer → hypotree: run the candidate once, in its sandbox, with `input` on its stdin. */
export interface RunRequest {
  type: 'run';
  id: number;
  /** Command and arguments, run with the candidate's worktree as the working folder. */
  command: string;
  args: string[];
  input: string;
  /** Wall-clock limit of this run; capped by what is left of the evaluation's own limit. */
  timeoutSec?: number;
  /** Largest stdout accepted as output; more is an `output-cap` failure. */
  maxOutputBytes?: number;
  /**
   * When true a failed run is reported to the scorer, which scores it (e.g. a harness that
   * counts a crashed instance as wrong). When false (the default) any failure fails the
   * whole evaluation with that failure's kind, whatever the scorer reports afterwards.
   */
  allowFailure?: boolean;
}

/** Scorer → hypotree: the evaluation's result. Exactly one per scorer run. */
export interface MetricReport {
  type: 'metric';
  metric: string;
  value: number;
}

/** Scorer → hypotree: the candidate's output is unusable (wrong shape, missing answers…). */
export interface OutputRejected {
  type: 'reject-output';
  detail: string;
}

export type ScorerMessage = RunRequest | MetricReport | OutputRejected;

/** Hypotree → scorer: how one run went. */
export type RunReply =
  | { type: 'ran'; id: number; ok: true; output: string; durationMs: number; stderrTail: string }
  | { type: 'ran'; id: number; ok: false; failure: CandidateFailure; detail: string; durationMs: number; stderrTail: string };
