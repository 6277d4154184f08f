// Cost of one null experiment (worktree add + run `true` in the candidate's sandbox + commit +
// remove) through @hypotree/workspace versus the same git commands in a plain shell loop
// (no sandbox), interleaved so both see the same machine load.
// Run: npm run build && node bench/worktree.mjs [iterations]
import { loadTask } from '@hypotree/task';
import { addWorktree, candidateView, commitWorktree, prepareArtifact, removeWorktree, runProcess, sandboxMode } from '@hypotree/workspace';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const iterations = Number(process.argv[2] ?? 20);
const root = mkdtempSync(path.join(os.tmpdir(), 'hypotree-bench-'));
cpSync(path.resolve('examples/spirals'), path.join(root, 'task'), { recursive: true });
const task = loadTask(path.join(root, 'task'));
const repo = await prepareArtifact(task, path.join(root, 'work'));

const shellLoop = `
set -e
wt="$1/shell-wt"
git -C "$2" worktree add --quiet --detach "$wt" "$3"
(cd "$wt" && true && git add --all . && git -c user.name=b -c user.email=b@b commit --quiet --allow-empty -m null)
git -C "$2" worktree remove --force "$wt"
`;

async function viaLibrary(i) {
  const worktree = await addWorktree(repo, repo.baseCommit, `bench-${i}`);
  try {
    const run = await runProcess({
      command: 'true', args: [], view: candidateView(task, worktree.dir, true, 10_000), scratch: repo.workdir, timeoutMs: 10_000, outputCapBytes: 10_000,
    });
    if (run.exitCode !== 0) throw new Error(`null run failed: ${run.stderr}`);
    await commitWorktree(worktree, `refs/hypotree/bench/${i}`, 'null experiment');
  } finally {
    await removeWorktree(repo, worktree);
  }
}

function viaShell() {
  execFileSync('/bin/sh', ['-c', shellLoop, 'bench', root, repo.path, repo.baseCommit], { stdio: 'inherit' });
}

const lib = [];
const shell = [];
try {
  for (let i = 0; i < iterations; i += 1) {
    let t = performance.now();
    await viaLibrary(i);
    lib.push(performance.now() - t);
    t = performance.now();
    viaShell();
    shell.push(performance.now() - t);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const [l, s] = [median(lib), median(shell)];
console.log(`null experiment, ${iterations} interleaved iterations, sandbox: ${sandboxMode().kind}`);
console.log(`  @hypotree/workspace: median ${l.toFixed(1)} ms`);
console.log(`  plain shell git loop: median ${s.toFixed(1)} ms`);
console.log(`  ratio library/shell: ${(l / s).toFixed(2)}`);
