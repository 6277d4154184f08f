// Throughput of the SQLite event store against a plain better-sqlite3 loop doing the same inserts and the same scan,
// with the same pragmas (WAL, synchronous=FULL), measured in one run, interleaved and repeated; prints median ratios.
// Run after `npm run build`:  node bench/event-store.mjs   (BENCH_DIR=<dir> to measure another disk; ROUNDS=<n>)
// Then the EventStoreDB adapter against the raw @eventstore/db-client doing the same appends (BatchAppend) and reads
// over gRPC to the test-only server (test/support/esdb-server.ts, compiled here with swc), interleaved the same way.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStoreDbEventStore, SqliteEventStore } from '@hypotree/event-store';
import esdb from '@eventstore/db-client';
import { transformFileSync } from '@swc/core';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SINGLE_APPENDS = 1000;
const BATCHES = 200;
const BATCH_SIZE = 100;
const root = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'hypotree-bench-'));

// The adapter's own table, written out here so the plain loop owns its schema and indexes.
const DDL = `CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
  event_id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
  recorded_at INTEGER NOT NULL, UNIQUE (stream_id, revision))`;

function makeEvents(count) {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    type: i % 3 === 0 ? 'ExperimentSucceeded' : 'HypothesisProposed',
    data: { nodeId: `1.${i}`, parentId: '1', title: `try ${i}`, mechanism: 'a longer text that explains why '.repeat(3), scores: [0.71, 0.72, 0.7] },
    metadata: { $correlationId: 'search-bench', $causationId: randomUUID(), actor: { service: 'bench', instance: '1' }, schemaVersion: 1 },
  }));
}

/** The plain loop: the same pragmas, one IMMEDIATE transaction per append, the same INSERT per event. */
function plainStore(path) {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(DDL);
  const insert = db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const write = db.transaction((stream, first, events) => {
    const now = Date.now();
    events.forEach((e, i) => insert.run(stream, first + i, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), now));
  });
  return {
    append: (stream, first, events) => write.immediate(stream, first, events),
    readAll: () => {
      let count = 0;
      for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate()) {
        const event = { streamId: row.stream_id, revision: row.revision, position: String(row.position), id: row.event_id, type: row.type,
          data: JSON.parse(row.data), metadata: JSON.parse(row.metadata), recordedAt: new Date(row.recorded_at) };
        if (event.revision >= 0) count += 1;
      }
      return count;
    },
    close: () => db.close(),
  };
}

async function measure(fn) {
  const start = process.hrtime.bigint();
  const units = await fn();
  return units / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function runAdapter(dir, singles, batches) {
  const store = SqliteEventStore.open({ path: join(dir, 'adapter.db') });
  const single = await measure(async () => {
    for (const [i, e] of singles.entries()) await store.append('search-single', [e], { expectedRevision: i === 0 ? 'no-stream' : i - 1 });
    return singles.length;
  });
  const batched = await measure(async () => {
    for (const [i, batch] of batches.entries()) {
      await store.append('search-batched', batch, { expectedRevision: i === 0 ? 'no-stream' : i * BATCH_SIZE - 1 });
    }
    return batches.length * BATCH_SIZE;
  });
  const read = await measure(async () => {
    let count = 0;
    for await (const event of store.readAll()) if (event.revision >= 0) count += 1;
    return count;
  });
  await store.close();
  return { single, batched, read };
}

async function runPlain(dir, singles, batches) {
  const store = plainStore(join(dir, 'plain.db'));
  const single = await measure(async () => {
    singles.forEach((e, i) => store.append('search-single', i, [e]));
    return singles.length;
  });
  const batched = await measure(async () => {
    batches.forEach((batch, i) => store.append('search-batched', i * BATCH_SIZE, batch));
    return batches.length * BATCH_SIZE;
  });
  const read = await measure(async () => store.readAll());
  store.close();
  return { single, batched, read };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ratios = { single: [], batched: [], read: [] };
const rates = { adapter: { single: [], batched: [], read: [] }, plain: { single: [], batched: [], read: [] } };
try {
  // Round 0 warms up the JIT and the disk cache and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    const singles = makeEvents(SINGLE_APPENDS);
    const batches = Array.from({ length: BATCHES }, () => makeEvents(BATCH_SIZE));
    const dir = mkdtempSync(join(root, `round-${round}-`));
    // Alternate which runs first so drift on a shared machine hits both sides.
    const first = round % 2 === 0 ? 'plain' : 'adapter';
    const results = {};
    for (const side of first === 'plain' ? ['plain', 'adapter'] : ['adapter', 'plain']) {
      results[side] = side === 'plain' ? await runPlain(dir, singles, batches) : await runAdapter(dir, singles, batches);
    }
    for (const key of Object.keys(ratios)) {
      if (round === 0) break;
      ratios[key].push(results.adapter[key] / results.plain[key]);
      rates.adapter[key].push(results.adapter[key]);
      rates.plain[key].push(results.plain[key]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

const rows = [
  ['single-event appends (durable)', 'single', 0.7],
  [`batched appends (${BATCH_SIZE}/append, durable)`, 'batched', 0.7],
  ['full read (readAll)', 'read', 0.8],
];
console.log(`SQLite event store vs plain better-sqlite3 loop, WAL + synchronous=FULL, median of ${ROUNDS} interleaved rounds`);
for (const [label, key, goal] of rows) {
  const ratio = median(ratios[key]);
  console.log(
    `${label.padEnd(40)} adapter ${Math.round(median(rates.adapter[key])).toString().padStart(8)} ev/s   ` +
      `plain ${Math.round(median(rates.plain[key])).toString().padStart(8)} ev/s   ratio ${ratio.toFixed(2)} (goal >= ${goal}) ${ratio >= goal ? 'ok' : 'BELOW GOAL'}`,
  );
}

// --- EventStoreDB: the adapter vs the raw client, over gRPC to the test-only server ---

const ESDB_SINGLES = 500;
const ESDB_BATCHES = 50;

/** Compiles the test-only server's TypeScript into node_modules/.cache (so its imports resolve) and starts it. */
async function startServer() {
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
  const out = join(repo, 'node_modules', '.cache', 'hypotree-bench-esdb');
  const sources = [join(repo, 'test/support/esdb-server.ts'), ...readdirSync(join(repo, 'test/support/esdb')).map((f) => join(repo, 'test/support/esdb', f))];
  for (const source of sources) {
    const target = join(out, relative(repo, source)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, transformFileSync(source, { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }).code);
  }
  const { startTestEventStoreDb } = await import(pathToFileURL(join(out, 'test/support/esdb-server.js')).href);
  return startTestEventStoreDb();
}

/** The two sides of the comparison: the same appends and reads, through the adapter and through the raw client. */
function esdbSides(connectionString) {
  const store = EventStoreDbEventStore.connect({ connectionString });
  const client = esdb.EventStoreDBClient.connectionString(connectionString);
  return {
    adapter: {
      append: (stream, events, expected) => store.append(stream, events, { expectedRevision: expected < 0 ? 'no-stream' : expected }),
      read: async (stream) => {
        let count = 0;
        for await (const event of store.readStream(stream)) if (event.revision >= 0) count += 1;
        return count;
      },
      close: () => store.close(),
    },
    raw: {
      append: (stream, events, expected) =>
        client.appendToStream(
          stream,
          events.map((e) => esdb.jsonEvent({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })),
          { expectedRevision: expected < 0 ? esdb.NO_STREAM : BigInt(expected) },
        ),
      read: async (stream) => {
        let count = 0;
        for await (const resolved of client.readStream(stream)) if (resolved.event.revision >= 0n) count += 1;
        return count;
      },
      close: () => client.dispose(),
    },
  };
}

/** Seconds each side spends on the same work, in short alternating chunks so load on a shared machine hits both. */
async function esdbRound(sides, round) {
  const seconds = { adapter: { single: 0, batched: 0, read: 0 }, raw: { single: 0, batched: 0, read: 0 } };
  const timed = async (side, key, fn) => {
    const start = process.hrtime.bigint();
    await fn();
    seconds[side][key] += Number(process.hrtime.bigint() - start) / 1e9;
  };
  const next = { adapter: { single: -1, batched: -1 }, raw: { single: -1, batched: -1 } };
  const tag = (side) => `bench-${side}-${round}-${randomUUID().slice(0, 8)}`;
  const streams = { adapter: tag('adapter'), raw: tag('raw') };
  for (let chunk = 0; chunk < 10; chunk += 1) {
    const order = chunk % 2 === 0 ? ['raw', 'adapter'] : ['adapter', 'raw'];
    for (const side of order) {
      const singles = makeEvents(ESDB_SINGLES / 10);
      await timed(side, 'single', async () => {
        for (const e of singles) await sides[side].append(`${streams[side]}-single`, [e], next[side].single++);
      });
      const batches = Array.from({ length: ESDB_BATCHES / 10 }, () => makeEvents(BATCH_SIZE));
      await timed(side, 'batched', async () => {
        for (const batch of batches) {
          await sides[side].append(`${streams[side]}-batched`, batch, next[side].batched);
          next[side].batched += BATCH_SIZE;
        }
      });
    }
  }
  for (let pass = 0; pass < 4; pass += 1) {
    for (const side of pass % 2 === 0 ? ['raw', 'adapter'] : ['adapter', 'raw']) {
      await timed(side, 'read', () => sides[side].read(`${streams[side]}-batched`));
    }
  }
  const rate = (side) => ({
    single: ESDB_SINGLES / seconds[side].single,
    batched: (ESDB_BATCHES * BATCH_SIZE) / seconds[side].batched,
    read: (4 / 2) * ESDB_BATCHES * BATCH_SIZE / seconds[side].read,
  });
  return { adapter: rate('adapter'), raw: rate('raw') };
}

const server = await startServer();
const esdbRatios = { single: [], batched: [], read: [] };
const esdbRates = { adapter: { single: [], batched: [], read: [] }, raw: { single: [], batched: [], read: [] } };
const sides = esdbSides(server.connectionString);
try {
  // Round 0 warms up (JIT, the gRPC channel, the BatchAppend stream) and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    const results = await esdbRound(sides, round);
    if (round === 0) continue;
    for (const key of Object.keys(esdbRatios)) {
      esdbRatios[key].push(results.adapter[key] / results.raw[key]);
      esdbRates.adapter[key].push(results.adapter[key]);
      esdbRates.raw[key].push(results.raw[key]);
    }
  }
} finally {
  await sides.adapter.close();
  await sides.raw.close();
  await server.stop();
}

console.log(`\nEventStoreDB adapter vs raw @eventstore/db-client 6.2 (BatchAppend, test-only gRPC server on loopback), median of ${ROUNDS} interleaved rounds`);
for (const [label, key] of [
  ['single-event appends', 'single'],
  [`batched appends (${BATCH_SIZE}/append)`, 'batched'],
  ['stream read (readStream)', 'read'],
]) {
  const ratio = median(esdbRatios[key]);
  console.log(
    `${label.padEnd(40)} adapter ${Math.round(median(esdbRates.adapter[key])).toString().padStart(8)} ev/s   ` +
      `raw ${Math.round(median(esdbRates.raw[key])).toString().padStart(8)} ev/s   ratio ${ratio.toFixed(2)} (goal >= 0.9) ${ratio >= 0.9 ? 'ok' : 'BELOW GOAL'}`,
  );
}
