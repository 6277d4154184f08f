import type { SearchLog } from '@hypotree/event-store';
import type { DistillReply, DistillRequestMessage } from '@hypotree/messaging';
import { collectModelCalls, type Distiller } from '@hypotree/research';
import { loadTask, specHash, type Task, type TaskSpec } from '@hypotree/task';
import { fold } from '@hypotree/tree';

/** Reads the search from the log as it stood at the requested revision and asks the distiller for lessons. */
export class DistillService {
  private readonly tasks = new Map<string, Pick<Task, 'spec'>>();

  constructor(
    private readonly log: SearchLog,
    private readonly distiller: Distiller,
  ) {}

  /** The lessons drawn after `nodeId` was decided; the coordinator appends them. */
  async distill(request: DistillRequestMessage): Promise<DistillReply> {
    const tree = fold(await this.log.history(request.searchId, request.revision));
    if (!tree.started) throw new Error(`search ${request.searchId} has no events up to revision ${request.revision}`);
    if (!tree.nodes.has(request.nodeId)) throw new Error(`search ${request.searchId} has no node ${request.nodeId} at revision ${request.revision}`);
    const task = request.spec ? sentSpec(request.spec, tree.started.task.specHash) : this.fromFile(tree.started.task.specPath);
    // The model calls behind the lessons go back with them: the coordinator records them (the log's cache of replies).
    const { value: drafts, calls } = await collectModelCalls(() => this.distiller.distill({ tree, task, nodeId: request.nodeId }));
    return calls.length > 0 ? { drafts, modelCalls: calls } : { drafts };
  }

  private fromFile(specPath: string): Pick<Task, 'spec'> {
    const task = this.tasks.get(specPath) ?? loadTask(specPath);
    this.tasks.set(specPath, task);
    return task;
  }
}

// A spec sent with the request (no shared filesystem) is the search's only if it hashes to the spec hash the search recorded.
function sentSpec(spec: TaskSpec, recorded: string): Pick<Task, 'spec'> {
  const hash = specHash(spec);
  if (hash !== recorded) throw new Error(`the task spec sent with the request hashes to ${hash.slice(0, 12)}…, not the search's ${recorded.slice(0, 12)}…`);
  return { spec };
}
