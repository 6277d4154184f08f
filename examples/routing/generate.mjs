// Regenerates the instances of this task deterministically: `node generate.mjs`.
// Euclidean travelling-salesman instances: cities in clusters over the unit square (clustered
// instances are where construction rules and local search differ most).
import { writeFileSync } from 'node:fs';
import { mulberry32 } from '../generate-support.mjs';

function instance(n, seed) {
  const rand = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const centres = Array.from({ length: 6 }, () => [rand(), rand()]);
  const cities = [];
  for (let i = 0; i < n; i += 1) {
    if (i % 4 === 0) cities.push([rand(), rand()]);
    else {
      const [cx, cy] = centres[Math.floor(rand() * centres.length)];
      cities.push([cx + 0.06 * gaussian(rand), cy + 0.06 * gaussian(rand)]);
    }
  }
  return { cities: cities.map(([x, y]) => [+x.toFixed(4), +y.toFixed(4)]) };
}

const write = (file, seeds, n) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ instances: seeds.map((s) => instance(n, s)) })}\n`);
write('dev/instances.json', [101, 102, 103], 120);
write('sealed/gate/instances.json', [201, 202, 203], 120);
write('sealed/test/instances.json', [301, 302, 303, 304, 305, 306], 120);
