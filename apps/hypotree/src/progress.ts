import cliProgress from 'cli-progress';
import { bestVerified, searchCounts, type SearchTree } from '@hypotree/tree';
import { budgetStatus } from '@hypotree/policy';

/** A live progress line on a terminal (cli-progress); nothing at all when stderr is not a TTY. */
export function progressReporter(enabled: boolean) {
  if (!enabled) return { update: (_tree: SearchTree, _note: string) => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: 'experiments {bar} {value}/{total} | best {best} | admitted {admitted} | gate {gate} | {note}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(tree: SearchTree, note: string) {
      if (!tree.started) return;
      const counts = searchCounts(tree);
      const best = bestVerified(tree);
      const payload = {
        best: best?.result ? `${best.id} ${tree.objective?.metric}=${best.result.mean.toFixed(4)}` : '-',
        admitted: counts.admitted,
        gate: counts.gateEvaluations,
        note: note.slice(0, 40),
      };
      const used = budgetStatus(tree, new Date()).experimentsUsed;
      if (!started) {
        bar.start(tree.started.budget.experiments, used, payload);
        started = true;
      } else bar.update(used, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
