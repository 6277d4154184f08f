import type { z } from 'zod';

/** How an issue's path is named: the default joins its keys with dots, and names the whole value `root`. */
export interface IssueNaming {
  where?: (path: PropertyKey[]) => string;
  root?: string;
}

/**
 * Every problem zod found, as `path: message`, so one error can list them all. `where` names a path
 * differently (e.g. after the flag or variable that sets it), `root` the whole value.
 */
export function issueList(error: z.ZodError, naming: IssueNaming = {}): string[] {
  const where = naming.where ?? ((path) => path.map(String).join('.'));
  return error.issues.map((issue) => `${where(issue.path) || (naming.root ?? '(root)')}: ${issue.message}`);
}

/** `issueList` joined into one line. */
export function issueText(error: z.ZodError, naming?: IssueNaming): string {
  return issueList(error, naming).join('; ');
}
