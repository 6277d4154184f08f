/** One problem in a task spec: the dotted field path and what is wrong with it. */
export interface SpecIssue {
  path: string;
  message: string;
}

/** A task spec that cannot be used; the message lists every bad field, each prefixed with the file. */
export class TaskSpecError extends Error {
  constructor(
    readonly file: string,
    readonly issues: readonly SpecIssue[],
  ) {
    super(
      `invalid task spec (${issues.length} problem${issues.length === 1 ? '' : 's'}); fix these fields:\n` +
        issues.map((i) => `  ${file}: ${i.path || '(root)'}: ${i.message}`).join('\n'),
    );
    this.name = 'TaskSpecError';
  }
}
