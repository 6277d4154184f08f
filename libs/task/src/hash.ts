import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { TaskSpec } from './schema.js';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Stable sha256 of a validated spec: key order and machine paths do not change it. */
export function specHash(spec: TaskSpec): string {
  return createHash('sha256').update(canonical(spec)).digest('hex');
}

/** Folders never part of the evaluator hash: hypotree's own workdir, git internals, installed packages. */
const SKIPPED = new Set(['.hypotree', '.git', 'node_modules']);

/**
 * sha256 over the trusted side of a task: every file of the task folder (path and content,
 * in path order) except the artifact, the sealed data and the folders in `SKIPPED`. A changed
 * scorer, spec or helper file changes it; a new run of the same folder reproduces it.
 */
export function evaluatorHash(taskDir: string, excluded: readonly string[]): string {
  const hash = createHash('sha256');
  const skip = new Set(excluded.map((p) => path.resolve(p)));
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (skip.has(full) || SKIPPED.has(entry.name)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        hash.update(`${path.relative(taskDir, full).split(path.sep).join('/')}\0`);
        hash.update(readFileSync(full));
        hash.update('\0');
      } else if (entry.isSymbolicLink()) {
        hash.update(`${path.relative(taskDir, full).split(path.sep).join('/')}\0-> ${readlinkSync(full)}\0`);
      }
    }
  };
  walk(taskDir);
  return hash.digest('hex');
}

/** The evaluator hash of a loaded task's folder as it is now (to detect a scorer changed after loading). */
export function currentEvaluatorHash(task: { dir: string; repo: string; sealed: { gate: string; test: string } }): string {
  return evaluatorHash(task.dir, [task.repo, task.sealed.gate, task.sealed.test]);
}
