// Regenerates the data of this task deterministically: `node generate.mjs`.
// Two interleaved noisy spirals in 2-D plus two nuisance features; 4% of labels flipped.
import { writeFileSync } from 'node:fs';

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

function gaussian(rand) {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function points(n, seed) {
  const rand = mulberry32(seed);
  const rows = [];
  for (let i = 0; i < n; i += 1) {
    const label = i % 2;
    const t = 0.15 + 0.85 * Math.sqrt(rand());
    const angle = t * 3 * Math.PI + label * Math.PI;
    const x = t * Math.cos(angle) + 0.07 * gaussian(rand);
    const y = t * Math.sin(angle) + 0.07 * gaussian(rand);
    const flipped = rand() < 0.04 ? 1 - label : label;
    rows.push([+x.toFixed(4), +y.toFixed(4), +gaussian(rand).toFixed(4), +gaussian(rand).toFixed(4), flipped]);
  }
  return rows;
}

const write = (file, rows) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ columns: ['x', 'y', 'n1', 'n2', 'label'], rows })}\n`);
write('artifact/data/train.json', points(500, 11));
write('artifact/data/dev.json', points(400, 22));
write('sealed/gate/points.json', points(400, 33));
write('sealed/test/points.json', points(1000, 44));
