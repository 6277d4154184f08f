import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const found = new Map<string, string>();

/**
 * The folder of an installed package, found as Node would (up the node_modules folders from this
 * file), real path, looked up once. hypotree binds some of its own files into sandboxes (the scorer
 * library, the endpoint relay) and needs them on disk.
 */
export function installedPackageDir(name: string): string {
  const known = found.get(name);
  if (known !== undefined) return known;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', ...name.split('/'));
    if (existsSync(path.join(candidate, 'package.json'))) {
      const real = realpathSync(candidate);
      found.set(name, real);
      return real;
    }
    if (path.dirname(dir) === dir) throw new Error(`${name} is not installed next to @hypotree/workspace; run npm install`);
  }
}
