// Regenerates the data of this task deterministically: `node generate.mjs`.
// The movies table of the `vega-datasets` npm package (3201 films: box office, budget, release,
// ratings), packed with npm (`npm pack vega-datasets@3.2.1`) into a temporary folder; the films
// with an IMDB rating are shuffled with a fixed seed and split into train, dev, gate and test.
// The task needs no dependency at run time: the rows are written here.
import { writeFileSync } from 'node:fs';
import { shuffle, vegaTable } from '../generate-support.mjs';

const films = vegaTable('movies.json');

const columns = ['usGross', 'worldwideGross', 'budget', 'year', 'runningTime', 'rottenTomatoes', 'imdbVotes', 'mpaa', 'genre', 'source', 'creativeType', 'label'];
const year = (date) => {
  const y = Number(String(date ?? '').match(/(\d{4})$/)?.[1] ?? String(date ?? '').match(/^(\d{4})/)?.[1]);
  return Number.isFinite(y) && y > 1900 && y < 2020 ? y : null;
};
const rows = films
  .filter((f) => typeof f['IMDB Rating'] === 'number')
  .map((f) => [f['US Gross'], f['Worldwide Gross'], f['Production Budget'], year(f['Release Date']), f['Running Time min'], f['Rotten Tomatoes Rating'], f['IMDB Votes'], f['MPAA Rating'], f['Major Genre'], f.Source, f['Creative Type'], f['IMDB Rating']].map((v) => (v === undefined ? null : v)));
shuffle(rows, 2026);
const write = (file, part) => writeFileSync(new URL(file, import.meta.url), `${JSON.stringify({ columns, rows: part })}\n`);
write('artifact/data/train.json', rows.slice(0, 1200));
write('artifact/data/dev.json', rows.slice(1200, 1700));
write('sealed/gate/films.json', rows.slice(1700, 2200));
write('sealed/test/films.json', rows.slice(2200));
console.log(`${rows.length} films: train 1200, dev 500, gate 500, test ${rows.length - 2200}`);
