// A separate OS process appending to one stream through the compiled SQLite adapter, re-deciding on every conflict.
// argv: <compiled adapter module> <database path> <worker name> <event count> <start at, epoch ms>
import { pathToFileURL } from 'node:url';

const [modulePath, dbPath, worker, countText, startAt] = process.argv.slice(2);
const { SqliteEventStore } = await import(pathToFileURL(modulePath).href);
const { WrongExpectedRevisionError, StreamNotFoundError } = await import(pathToFileURL(modulePath.replace(/sqlite\/sqlite-event-store\.js$/, 'errors.js')).href);

const store = SqliteEventStore.open({ path: dbPath, busyTimeoutMs: 10_000 });
const stream = 'search-concurrent';
let conflicts = 0;
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));

async function lastRevision() {
  try {
    for await (const event of store.readStream(stream, { direction: 'backwards', maxCount: 1 })) return event.revision;
  } catch (error) {
    if (!(error instanceof StreamNotFoundError)) throw error;
  }
  return 'no-stream';
}

for (let i = 0; i < Number(countText); i += 1) {
  const id = `${worker === 'a' ? 'aaaaaaaa' : 'bbbbbbbb'}-0000-4000-8000-${String(i).padStart(12, '0')}`;
  for (;;) {
    const expectedRevision = await lastRevision();
    try {
      await store.append(stream, [{ id, type: 'Appended', data: { worker, i }, metadata: { $correlationId: stream, $causationId: id } }], {
        expectedRevision,
      });
      break;
    } catch (error) {
      if (!(error instanceof WrongExpectedRevisionError)) throw error;
      conflicts += 1;
    }
  }
}
await store.close();
process.stdout.write(JSON.stringify({ worker, conflicts }));
process.stderr.write(`worker ${worker}: ${conflicts} conflicts\n`);
