// Regenerates the real data of this task deterministically: `node generate.mjs`.
// The penguins table of the `vega-datasets` npm package (Palmer penguins: 344 birds of three
// species), packed with npm (`npm pack vega-datasets@3.2.1`) into a temporary folder. Every real
// bird is evaluation data: the birds with all four measurements are shuffled with a fixed seed and
// split into dev, gate and test. There is no real training set: the candidate synthesises it.
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

const scratch = mkdtempSync(path.join(os.tmpdir(), 'penguins-data-'));
let birds;
try {
  const tarball = execFileSync('npm', ['pack', 'vega-datasets@3.2.1', '--silent', '--pack-destination', scratch], { encoding: 'utf8' }).trim().split('\n').at(-1);
  execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch, 'package/data/penguins.json']);
  birds = JSON.parse(readFileSync(path.join(scratch, 'package/data/penguins.json'), 'utf8'));
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const species = ['Adelie', 'Chinstrap', 'Gentoo'];
const fields = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
const rows = birds.filter((b) => fields.every((f) => typeof b[f] === 'number')).map((b) => [...fields.map((f) => b[f]), species.indexOf(b.Species)]);
const rand = mulberry32(2026);
for (let i = rows.length - 1; i > 0; i -= 1) {
  const j = Math.floor(rand() * (i + 1));
  [rows[i], rows[j]] = [rows[j], rows[i]];
}
const columns = ['beakLength', 'beakDepth', 'flipperLength', 'bodyMass', 'species'];
const write = (file, part) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ columns, species, rows: part })}\n`);
write('dev/birds.json', rows.slice(0, 110));
write('sealed/gate/birds.json', rows.slice(110, 220));
write('sealed/test/birds.json', rows.slice(220));
console.log(`${rows.length} birds: dev 110, gate 110, test ${rows.length - 220}`);
