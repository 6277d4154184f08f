import type { Task } from '@hypotree/task';

/** A task with just the fields a resume compares (spec and evaluator hashes, name). */
export function loadTaskLike(fields: { hash: string; evaluatorHash: string; name: string }): Task {
  return {
    spec: { name: fields.name } as Task['spec'],
    specPath: '/demo/hypotree.task.json',
    dir: '/demo',
    repo: '/demo/artifact',
    sealed: { gate: '/demo/sealed/gate', test: '/demo/sealed/test' },
    hash: fields.hash,
    evaluatorHash: fields.evaluatorHash,
  };
}
