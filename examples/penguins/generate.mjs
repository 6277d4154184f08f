// Regenerates the real data of this task deterministically: `node generate.mjs`.
// The penguins table of the `vega-datasets` npm package (Palmer penguins: 344 birds of three
// species), packed with npm (`npm pack vega-datasets@3.2.1`) into a temporary folder. Every real
// bird is evaluation data: the birds with all four measurements are shuffled with a fixed seed and
// split into dev, gate and test. There is no real training set: the candidate synthesises it.
import { writeFileSync } from 'node:fs';
import { shuffle, vegaTable } from '../generate-support.mjs';

const birds = vegaTable('penguins.json');
const species = ['Adelie', 'Chinstrap', 'Gentoo'];
const fields = ['Beak Length (mm)', 'Beak Depth (mm)', 'Flipper Length (mm)', 'Body Mass (g)'];
const rows = birds.filter((b) => fields.every((f) => typeof b[f] === 'number')).map((b) => [...fields.map((f) => b[f]), species.indexOf(b.Species)]);
shuffle(rows, 2026);
const columns = ['beakLength', 'beakDepth', 'flipperLength', 'bodyMass', 'species'];
const write = (file, part) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ columns, species, rows: part })}\n`);
write('dev/birds.json', rows.slice(0, 110));
write('sealed/gate/birds.json', rows.slice(110, 220));
write('sealed/test/birds.json', rows.slice(220));
console.log(`${rows.length} birds: dev 110, gate 110, test ${rows.length - 220}`);
