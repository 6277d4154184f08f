import { execa, type ResultPromise } from 'execa';
import path from 'node:path';

/** The built `hypotree` command line, as a user runs it after `npm ci`. */
export const HYPOTREE_BIN = path.resolve('apps/hypotree/bin/hypotree.js');

/** Runs `hypotree <args>` to completion; rejects with its output when it fails. */
export async function hypotree(args: string[], env: Record<string, string> = {}) {
  return execa('node', [HYPOTREE_BIN, ...args], { env: { ...process.env, ...env }, all: true, timeout: 240_000 });
}

/** Starts `hypotree <args>` in the background (e.g. to kill it mid-search). */
export function spawnHypotree(args: string[], env: Record<string, string> = {}): ResultPromise {
  return execa('node', [HYPOTREE_BIN, ...args], { env: { ...process.env, ...env }, all: true, reject: false });
}

/** The JSON summary `hypotree run --json` prints as the last line of stdout. */
export function lastJsonLine<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
