// What the bundled tasks' generate.mjs scripts share (they run on a developer's machine, not in a
// sandbox; a task's artifact and scorers keep their own copies of what they need, as they must).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A small seeded PRNG (mulberry32): the same stream for the same seed on every machine. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `rows` in place with a fixed seed (Fisher–Yates). */
export function shuffle(rows, seed) {
  const rand = mulberry32(seed);
  for (let i = rows.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

/**
 * A table of the vega-datasets npm package (`data/<file>`), fetched with `npm pack` into a
 * temporary folder that is removed afterwards: the tasks vendor their rows and need no dependency.
 */
export function vegaTable(file, version = '3.2.1') {
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'vega-datasets-'));
  try {
    const tarball = execFileSync('npm', ['pack', `vega-datasets@${version}`, '--silent', '--pack-destination', scratch], { encoding: 'utf8' }).trim().split('\n').at(-1);
    execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch, `package/data/${file}`]);
    return JSON.parse(readFileSync(path.join(scratch, 'package/data', file), 'utf8'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
