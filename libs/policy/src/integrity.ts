import { isWeakerSandbox } from '@hypotree/events';
import type { SearchTree, TreeNode } from '@hypotree/tree';

/** Why a node's evidence cannot be trusted as far as its search requires, with the evidence events named. */
export interface IntegrityObjection {
  rule: 'weaker-sandbox' | 'evaluator-changed';
  reason: string;
  evidence: string[];
}

/**
 * Checks the evidence admission would use (the node's dev result, its gate score if any) against
 * what the search started with: the sandbox may not be weaker, and the spec and evaluator hashes
 * must be the search's own. Evidence without an integrity record passes only in a search that
 * records none (a log written before integrity existed).
 */
export function integrityObjection(tree: SearchTree, node: TreeNode): IntegrityObjection | undefined {
  const trust = tree.started?.trust;
  if (trust === undefined) return undefined;
  const task = tree.started!.task;
  const records = [
    { what: 'dev evaluation', integrity: node.result?.integrity, eventId: node.result?.eventId },
    { what: 'gate evaluation', integrity: node.gate?.firstLook?.integrity, eventId: node.gate?.firstLook?.eventId },
    { what: node.gate?.firstLook ? 'second gate look' : 'gate evaluation', integrity: node.gate?.integrity, eventId: node.gate?.eventId },
  ].filter((r) => r.eventId !== undefined);
  for (const { what, integrity, eventId } of records) {
    const sandbox = integrity?.sandbox ?? 'none';
    if (isWeakerSandbox(sandbox, trust.sandbox)) {
      return { rule: 'weaker-sandbox', reason: `the ${what} of ${node.id} ran with sandbox '${sandbox}', weaker than the search's '${trust.sandbox}'`, evidence: [eventId!] };
    }
    if (integrity?.specHash !== undefined && integrity.specHash !== task.specHash) {
      return { rule: 'evaluator-changed', reason: `the ${what} of ${node.id} ran with task spec ${integrity.specHash.slice(0, 12)}, the search's is ${task.specHash.slice(0, 12)}`, evidence: [eventId!] };
    }
    if (integrity?.evaluatorHash !== undefined && task.evaluatorHash !== undefined && integrity.evaluatorHash !== task.evaluatorHash) {
      return { rule: 'evaluator-changed', reason: `the ${what} of ${node.id} ran with evaluator files ${integrity.evaluatorHash.slice(0, 12)}, the search's are ${task.evaluatorHash.slice(0, 12)}`, evidence: [eventId!] };
    }
  }
  return undefined;
}
