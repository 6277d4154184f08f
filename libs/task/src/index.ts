export * from './schema.js';
export { TaskSpecError, type SpecIssue } from './errors.js';
export { loadTask, validateTaskSpec, commandLine, TASK_SPEC_FILE } from './load.js';
export { tail, TAIL_CHARS } from './tail.js';
export { specHash, evaluatorHash, currentEvaluatorHash } from './hash.js';
export { isAllowedPath, unsafeRelativePath } from './paths.js';
export { outOfSpace, spaceIssues, defaults, activeParameters } from './space.js';
export { orient } from './objective.js';
