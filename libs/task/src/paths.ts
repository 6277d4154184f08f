import path from 'node:path';

/**
 * Allowed-path patterns are repo-relative POSIX paths. `*` matches within one path segment,
 * `?` one character, `**` any number of segments; a pattern without wildcards matches that
 * file or everything below that folder (`src` allows `src/a.mjs`).
 */
function patternToRegExp(pattern: string): RegExp {
  const trimmed = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
  let source = '';
  for (let i = 0; i < trimmed.length; i += 1) {
    const ch = trimmed[i]!;
    if (ch === '*' && trimmed[i + 1] === '*') {
      const slash = trimmed[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const literal = !/[*?]/.test(trimmed);
  return new RegExp(`^${source}${literal ? '(?:/.*)?' : ''}$`);
}

/** Why a pattern or path cannot be used as a repo-relative path, or undefined when it can. */
export function unsafeRelativePath(p: string): string | undefined {
  if (p.length === 0) return 'is empty';
  if (path.posix.isAbsolute(p) || path.win32.isAbsolute(p)) return 'must be relative to the repo root';
  const segments = p.split(/[\\/]/);
  if (segments.includes('..')) return "must not contain '..'";
  if (segments.includes('.git')) return "must not point into '.git'";
  return undefined;
}

/** True when the repo-relative POSIX `file` is matched by one of the allowed-path patterns. */
export function isAllowedPath(file: string, allowedPaths: readonly string[]): boolean {
  if (unsafeRelativePath(file) !== undefined) return false;
  return allowedPaths.some((pattern) => patternToRegExp(pattern).test(file));
}
