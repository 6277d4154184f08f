// Regenerates the data of this task deterministically: `node generate.mjs`.
// The movies table of the `vega-datasets` npm package (3201 films: box office, budget, release,
// ratings), packed with npm (`npm pack vega-datasets@3.2.1`) into a temporary folder; the films
// with an IMDB rating are shuffled with a fixed seed and split into train, dev, gate and test.
// The task needs no dependency at run time: the rows are written here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'movies-data-'));
let films;
try {
  const tarball = execFileSync('npm', ['pack', 'vega-datasets@3.2.1', '--silent', '--pack-destination', scratch], { encoding: 'utf8' }).trim().split('\n').at(-1);
  execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch, 'package/data/movies.json']);
  films = JSON.parse(readFileSync(path.join(scratch, 'package/data/movies.json'), 'utf8'));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

export const columns = ['usGross', 'worldwideGross', 'budget', 'year', 'runningTime', 'rottenTomatoes', 'imdbVotes', 'mpaa', 'genre', 'source', 'creativeType', 'label'];
const year = (date) => {
  const y = Number(String(date ?? '').match(/(\d{4})$/)?.[1] ?? String(date ?? '').match(/^(\d{4})/)?.[1]);
  return Number.isFinite(y) && y > 1900 && y < 2020 ? y : null;
};
const rows = films
  .filter((f) => typeof f['IMDB Rating'] === 'number')
  .map((f) => [f['US Gross'], f['Worldwide Gross'], f['Production Budget'], year(f['Release Date']), f['Running Time min'], f['Rotten Tomatoes Rating'], f['IMDB Votes'], f['MPAA Rating'], f['Major Genre'], f.Source, f['Creative Type'], f['IMDB Rating']].map((v) => (v === undefined ? null : v)));
const rand = mulberry32(2026);
for (let i = rows.length - 1; i > 0; i -= 1) {
  const j = Math.floor(rand() * (i + 1));
  [rows[i], rows[j]] = [rows[j], rows[i]];
}
const write = (file, part) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ columns, rows: part })}\n`);
write('artifact/data/train.json', rows.slice(0, 1200));
write('artifact/data/dev.json', rows.slice(1200, 1700));
write('sealed/gate/films.json', rows.slice(1700, 2200));
write('sealed/test/films.json', rows.slice(2200));
console.log(`${rows.length} films: train 1200, dev 500, gate 500, test ${rows.length - 2200}`);
