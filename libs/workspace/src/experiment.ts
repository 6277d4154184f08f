import { tail, type Hypothesis, type Task } from '@hypotree/task';
import type { ArtifactRepo } from './artifact.js';
import { refusedChanges, restoreGitLink } from './changes.js';
import { defaultSeeds, evaluate, meanScore, type EvaluationSite } from './evaluate.js';
import type { ExecutorFailureKind as FailureKind, ExperimentEvidence } from '@hypotree/messaging';
import { ImplementationFailed, type Implementation, type Implementer } from './implementer.js';
import { sandboxMode, type SandboxMode } from './sandbox/index.js';
import { runInWorktree } from './confined.js';
import { addWorktree, commitWorktree, diffStat, removeWorktree, type Worktree } from './worktree.js';
import { git } from './git.js';

/** Everything one experiment needs. */
export interface ExperimentRequest {
  task: Task;
  repo: ArtifactRepo;
  experimentId: string;
  nodeId: string;
  searchId: string;
  /** The parent node's commit. */
  baseCommit: string;
  hypothesis: Hypothesis;
  implementer: Implementer;
  seeds?: number[];
  feedback?: string;
  signal?: AbortSignal;
  /** The sandbox to use; the machine's unless the caller decides otherwise. */
  sandbox?: SandboxMode;
  /** Let an implementer that writes code (agent, llm) run without a sandbox; recorded by the search. */
  allowUnsandboxed?: boolean;
}

/** Implementers that cannot run code or write anything but a structured change. */
const CODE_FREE_IMPLEMENTERS = new Set(['params']);

/** The ref that keeps a node's commit, admitted or not. */
export function nodeRef(searchId: string, nodeId: string): string {
  return `refs/hypotree/${searchId}/${nodeId}`;
}

function commitMessage(req: ExperimentRequest, summary: string): string {
  return `${req.hypothesis.title}\n\n${summary}\n\nhypotree-search: ${req.searchId}\nhypotree-node: ${req.nodeId}\nhypotree-experiment: ${req.experimentId}\n`;
}

/**
 * Runs one experiment end to end: worktree from the parent commit, implement, check the real
 * diff, commit on the node's ref, dev evaluator per seed, remove the worktree. Experiment-level
 * failures come back as evidence; only broken infrastructure (e.g. a missing repo) throws.
 */
export async function runExperiment(req: ExperimentRequest): Promise<ExperimentEvidence> {
  const started = Date.now();
  const { task } = req;
  const deadline = started + task.spec.budgets.experimentTimeoutSec * 1000;
  const seeds = req.seeds ?? defaultSeeds(task);
  const ref = nodeRef(req.searchId, req.nodeId);
  const sandbox = req.sandbox ?? sandboxMode();
  const integrity = (changedPaths: string[], evaluatorHash = task.evaluatorHash) => ({ sandbox: sandbox.kind, specHash: task.hash, evaluatorHash, changedPaths });
  const base = {
    experimentId: req.experimentId,
    nodeId: req.nodeId,
    searchId: req.searchId,
    baseCommit: req.baseCommit,
    refusals: [] as { path: string; reason: string }[],
    runs: [] as ExperimentEvidence['runs'],
    integrity: integrity([]),
    stdoutTail: '',
    stderrTail: '',
  };
  let implementation: ExperimentEvidence['implementation'] = { implementer: req.implementer.name, summary: '', attempts: 0 };
  const fail = (kind: FailureKind, detail: string, extra: Partial<ExperimentEvidence> = {}): ExperimentEvidence => ({
    ...base,
    status: 'failed',
    failure: { kind, detail },
    implementation,
    report: `${req.hypothesis.title}: failed (${kind}) — ${detail}`,
    durationMs: Date.now() - started,
    ...extra,
  });

  if (sandbox.kind === 'none' && !CODE_FREE_IMPLEMENTERS.has(req.implementer.name) && req.allowUnsandboxed !== true) {
    return fail(
      'implementation-failed',
      `the ${req.implementer.name} implementer writes code, and there is no sandbox here (${sandbox.reason}); install bubblewrap, or start the search with --allow-unsandboxed`,
    );
  }
  const worktree: Worktree = await addWorktree(req.repo, req.baseCommit, req.experimentId);
  try {
    const site: EvaluationSite = { task, worktree: worktree.dir, scratch: req.repo.workdir, deadline, sandbox, signal: req.signal };
    let done: Implementation;
    try {
      done = await req.implementer.implement({
        worktree: worktree.dir,
        hypothesis: req.hypothesis,
        task,
        feedback: req.feedback,
        signal: req.signal,
        checkDev: () => evaluate(site, 'dev', seeds.slice(0, 1)),
        runConfined: (command, args, options) => runInWorktree(site, command, args, options),
      });
    } catch (err) {
      if (!(err instanceof ImplementationFailed)) throw err;
      implementation = { ...implementation, summary: err.message, attempts: err.attempts, ...(err.usage ? { usage: err.usage } : {}) };
      return fail('implementation-failed', err.message);
    }
    implementation = { implementer: req.implementer.name, ...done };
    const refusals = await refusedChanges(worktree, task);
    if (refusals.some((r) => r.path === '.git')) await restoreGitLink(worktree);
    const commit = await commitWorktree(worktree, ref, commitMessage(req, done.summary));
    const diff = await diffStat(worktree.dir, req.baseCommit, commit);
    const changed = integrity([...new Set([...diff.files.map((f) => f.path), ...refusals.map((r) => r.path)])].sort());
    if (refusals.length > 0) {
      const list = refusals.map((r) => `${r.path} (${r.reason})`).join(', ');
      return fail('refused', `the implementation changed paths it may not change: ${list}; allowed: ${task.spec.allowedPaths.join(', ')}`, {
        refusals,
        commit,
        ref,
        diff,
        integrity: changed,
      });
    }
    // Evaluate exactly what was committed: drop untracked and ignored leftovers.
    await git(worktree.dir, ['clean', '-ffdxq']);
    const evaluation = await evaluate(site, 'dev', seeds);
    const tails = { stdoutTail: evaluation.stdoutTail, stderrTail: evaluation.stderrTail };
    const evaluated = integrity(changed.changedPaths, evaluation.evaluatorHash);
    if (!evaluation.ok) return fail(evaluation.kind, evaluation.detail, { commit, ref, diff, runs: evaluation.runs, integrity: evaluated, ...tails });
    const devScore = meanScore(evaluation.runs);
    const changedText = diff.files.length === 0 ? 'no files changed' : `${diff.files.length} file(s) changed (+${diff.insertions} −${diff.deletions}): ${diff.files.map((f) => f.path).join(', ')}`;
    return {
      ...base,
      ...tails,
      status: 'succeeded',
      devScore,
      runs: evaluation.runs,
      commit,
      ref,
      diff,
      integrity: evaluated,
      implementation,
      report: tail(
        `${req.hypothesis.title}: ${done.summary}; ${changedText}; dev ${task.spec.objective.metric} ${devScore.toPrecision(4)} ` +
          `(mean of ${evaluation.runs.length} run(s): ${evaluation.runs.map((r) => r.value.toPrecision(4)).join(', ')})`,
        1000,
      ),
      durationMs: Date.now() - started,
    };
  } finally {
    await removeWorktree(req.repo, worktree);
  }
}
