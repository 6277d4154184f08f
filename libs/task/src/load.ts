import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { TaskSpecError, type SpecIssue } from './errors.js';
import { currentEvaluatorHash, specHash } from './hash.js';
import { isAllowedPath, unsafeRelativePath } from './paths.js';
import { TaskSpecSchema, type EvaluatorSpec, type Task, type TaskSpec } from './schema.js';
import { spaceIssues } from './space.js';

/** Name of the spec file inside a task folder. */
export const TASK_SPEC_FILE = 'hypotree.task.json';

function real(p: string): string {
  return existsSync(p) ? realpathSync(p) : path.resolve(p);
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function pathIssues(spec: TaskSpec, dir: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const repo = real(path.resolve(dir, spec.repo));
  if (!existsSync(repo)) issues.push({ path: 'repo', message: `folder ${repo} does not exist` });
  spec.allowedPaths.forEach((p, i) => {
    const bad = unsafeRelativePath(p);
    if (bad !== undefined) issues.push({ path: `allowedPaths.${i}`, message: bad });
  });
  const sealed: Record<string, string> = {};
  for (const which of ['gate', 'test'] as const) {
    const at = `evaluators.${which}.sealedData`;
    const abs = real(path.resolve(dir, spec.evaluators[which].sealedData));
    sealed[which] = abs;
    if (!existsSync(abs)) issues.push({ path: at, message: `${abs} does not exist` });
    if (isInside(abs, repo) || isInside(repo, abs)) issues.push({ path: at, message: 'must be outside the artifact repo' });
  }
  if (isInside(sealed.gate!, sealed.test!) || isInside(sealed.test!, sealed.gate!)) {
    issues.push({ path: 'evaluators.test.sealedData', message: 'must not overlap the gate sealed data (each is visible only to its own evaluator)' });
  }
  const devData = spec.evaluators.dev.data;
  if (devData !== undefined) {
    const abs = real(path.resolve(dir, devData));
    if (!existsSync(abs)) issues.push({ path: 'evaluators.dev.data', message: `${abs} does not exist` });
    else if ([sealed.gate!, sealed.test!].some((s) => isInside(abs, s) || isInside(s, abs))) {
      issues.push({ path: 'evaluators.dev.data', message: 'must not overlap sealed data (dev data is visible to every dev evaluation)' });
    }
  }
  if (spec.setup?.args.some((a) => a.includes('{task}')) || spec.setup?.command.includes('{task}')) {
    issues.push({ path: 'setup', message: "must not use {task}: setup runs in the candidate's sandbox, which cannot see the task folder" });
  }
  if (spec.parameters !== undefined) {
    const file = spec.parameters.file;
    const bad = unsafeRelativePath(file);
    if (bad !== undefined) issues.push({ path: 'parameters.file', message: bad });
    else if (!isAllowedPath(file, spec.allowedPaths)) issues.push({ path: 'parameters.file', message: 'must be inside allowedPaths' });
    issues.push(...spaceIssues(spec.parameters.space, 'parameters.space'));
  }
  return issues;
}

/** Parses and validates a spec object; throws one TaskSpecError naming `file` and every bad field. */
export function validateTaskSpec(raw: unknown, file: string): Task {
  const parsed = TaskSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TaskSpecError(
      file,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    );
  }
  const spec = parsed.data;
  const specPath = path.resolve(file);
  const dir = path.dirname(specPath);
  const issues = pathIssues(spec, dir);
  if (issues.length > 0) throw new TaskSpecError(file, issues);
  const repo = real(path.resolve(dir, spec.repo));
  const sealed = {
    gate: real(path.resolve(dir, spec.evaluators.gate.sealedData)),
    test: real(path.resolve(dir, spec.evaluators.test.sealedData)),
  };
  const devData = spec.evaluators.dev.data === undefined ? undefined : real(path.resolve(dir, spec.evaluators.dev.data));
  return {
    spec,
    specPath,
    dir: real(dir),
    repo,
    sealed,
    ...(devData === undefined ? {} : { devData }),
    hash: specHash(spec),
    evaluatorHash: currentEvaluatorHash({ dir: real(dir), repo, sealed }),
  };
}

/** Loads a task from its spec file, or from a folder holding `hypotree.task.json`. */
export function loadTask(specOrFolder: string): Task {
  const file =
    existsSync(specOrFolder) && !specOrFolder.endsWith('.json') ? path.join(specOrFolder, TASK_SPEC_FILE) : specOrFolder;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TaskSpecError(file, [{ path: '', message: `cannot read the spec file (${(err as Error).message}); pass a task folder or its ${TASK_SPEC_FILE}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TaskSpecError(file, [{ path: '', message: `not valid JSON: ${(err as Error).message}` }]);
  }
  return validateTaskSpec(raw, file);
}

/** The argv of an evaluator with `{task}` expanded to the task folder. */
export function commandLine(task: Task, evaluator: Pick<EvaluatorSpec, 'command' | 'args'>): [string, string[]] {
  const expand = (s: string) => s.split('{task}').join(task.dir);
  return [expand(evaluator.command), evaluator.args.map(expand)];
}
