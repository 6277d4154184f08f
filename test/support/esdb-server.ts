import { Server, ServerCredentials, status, type ServerReadableStream, type sendUnaryData } from '@grpc/grpc-js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { InMemoryLog, type Expectation, type ProposedEvent } from './esdb/log.js';
import { handleRead } from './esdb/read.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
const { AppendResp: AppendRespClass } = streamsPb;

/**
 * A test-only EventStoreDB: an in-memory log behind the real gRPC service definitions the client ships, serving
 * `Streams/Append` and `Streams/Read` (reads and catch-up subscriptions). `ServerFeatures` is left unimplemented,
 * which the client accepts (it then uses the classic Append). It proves the wire contract, not EventStoreDB itself.
 */
export interface TestEventStoreDb {
  /** `esdb://127.0.0.1:<port>?tls=false` */
  connectionString: string;
  /** The server's storage, for planting records a client could not write. */
  log: InMemoryLog;
  /** Stops the server, ending open subscriptions. */
  stop(): Promise<void>;
}

function expectation(options: InstanceType<typeof streamsPb.AppendReq.Options>): Expectation {
  if (options.hasNoStream()) return 'no-stream';
  if (options.hasStreamExists()) return 'stream-exists';
  if (options.hasRevision()) return BigInt(options.getRevision());
  return 'any';
}

function handleAppend(log: InMemoryLog, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  let streamId = '';
  let expected: Expectation = 'any';
  const events: ProposedEvent[] = [];
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) {
      const options = request.getOptions()!;
      streamId = Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
      expected = expectation(options);
      return;
    }
    const proposed = request.getProposedMessage()!;
    const uuid = proposed.getId()!;
    const metadata = proposed.getMetadataMap();
    events.push({
      id: uuid.hasString() ? uuid.getString() : '',
      type: metadata.get('type') ?? '',
      contentType: metadata.get('content-type') ?? 'application/octet-stream',
      data: proposed.getData_asU8(),
      metadata: proposed.getCustomMetadata_asU8(),
    });
  });
  call.on('error', () => undefined);
  call.on('end', () => {
    if (events.some((event) => event.id === '' || event.type === '')) {
      callback({ code: status.INVALID_ARGUMENT, details: 'every proposed event needs a string id and a type' });
      return;
    }
    const outcome = log.append(streamId, events, expected);
    const response = new AppendRespClass();
    if (outcome.ok) {
      const success = new AppendRespClass.Success();
      success.setCurrentRevision(outcome.revision.toString());
      const position = new AppendRespClass.Position();
      position.setCommitPosition(outcome.commit.toString());
      position.setPreparePosition(outcome.prepare.toString());
      success.setPosition(position);
      response.setSuccess(success);
    } else {
      const wrong = new AppendRespClass.WrongExpectedVersion();
      if (outcome.current === 'no-stream') wrong.setCurrentNoStream(new sharedPb.Empty());
      else wrong.setCurrentRevision(outcome.current.toString());
      if (expected === 'no-stream') wrong.setExpectedNoStream(new sharedPb.Empty());
      else if (expected === 'stream-exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
      else if (expected === 'any') wrong.setExpectedAny(new sharedPb.Empty());
      else wrong.setExpectedRevision(expected.toString());
      response.setWrongExpectedVersion(wrong);
    }
    callback(null, response);
  });
}

/** Starts the test-only server on a free loopback port. */
export async function startTestEventStoreDb(): Promise<TestEventStoreDb> {
  const log = new InMemoryLog();
  const server = new Server();
  server.addService(streamsGrpc.StreamsService, {
    read: (call: Parameters<typeof handleRead>[1]) => handleRead(log, call),
    append: (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => handleAppend(log, call, callback),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    log,
    stop: async () => {
      server.forceShutdown();
    },
  };
}
