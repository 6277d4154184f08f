import esdb from '@eventstore/db-client';
import { randomUUID } from 'node:crypto';
import { startTestEventStoreDb, type TestEventStoreDb } from '../../../../test/support/esdb-server.js';
import { eventStoreContract } from '../contract/event-store.contract.js';
import { EventStoreDbEventStore } from './esdb-event-store.js';

// The real @eventstore/db-client over a real gRPC connection, against the test-only server in test/support/:
// once through BatchAppend (advertised in ServerFeatures, what every server since 21.10 gets), once through the classic Append.
for (const batchAppend of [true, false]) {
  let server: TestEventStoreDb;
  eventStoreContract(`EventStoreDB (test-only gRPC server, ${batchAppend ? 'BatchAppend' : 'classic Append'})`, async () => {
    server = await startTestEventStoreDb({ batchAppend });
    return {
      open: async () => EventStoreDbEventStore.connect({ connectionString: server.connectionString }),
      // A JSON content type over a body that is not JSON: what a broken writer could leave behind.
      injectMalformed: async (streamId) => Number(server.log.injectRaw(streamId, { data: Buffer.from('{"truncated": ', 'utf8') })),
      dispose: async () => {
        // The suite ran through the append path it names.
        expect(server.state.batchStreams > 0).toBe(batchAppend);
        await server.stop();
      },
    };
  });
}

const url = process.env['ESDB_URL'];

// Registered only when a real server is configured, e.g. ESDB_URL='esdb://127.0.0.1:2113?tls=false'.
if (url) {
  eventStoreContract(`EventStoreDB (real server at ${url})`, async () => {
    const raw = esdb.EventStoreDBClient.connectionString(url);
    return {
      open: async () => EventStoreDbEventStore.connect({ connectionString: url }),
      // A real server stores whatever a client sends: a binary event is not JSON to the port.
      injectMalformed: async (streamId) => {
        const event = esdb.binaryEvent({ id: randomUUID(), type: 'Corrupt', data: Buffer.from('{"truncated": ', 'utf8') });
        return Number((await raw.appendToStream(streamId, event)).nextExpectedRevision);
      },
      dispose: () => raw.dispose(),
    };
  });
}
