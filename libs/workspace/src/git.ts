import { execa } from 'execa';

/** Identity for every commit hypotree makes; passed explicitly so no global git config is needed. */
export const GIT_IDENTITY = { name: 'hypotree', email: 'hypotree@localhost' };

/** A git command that failed: the command, where it ran and git's own message. */
export class GitError extends Error {
  constructor(args: readonly string[], cwd: string, stderr: string) {
    super(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || 'no message'}`);
    this.name = 'GitError';
  }
}

function gitEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GIT_')) env[k] = v;
  return { ...env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', ...extra };
}

/**
 * Runs git with hypotree's identity and `safe.directory=*` (a task's own repository may belong
 * to another user than the one running hypotree); returns stdout without trailing newline.
 */
export async function git(cwd: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<string> {
  const full = ['-c', `user.name=${GIT_IDENTITY.name}`, '-c', `user.email=${GIT_IDENTITY.email}`, '-c', 'safe.directory=*', ...args];
  const result = await execa('git', full, { cwd, env: gitEnv(extraEnv), extendEnv: false, reject: false, stripFinalNewline: true });
  if (result.exitCode !== 0) throw new GitError(args, cwd, String(result.stderr));
  return String(result.stdout);
}
