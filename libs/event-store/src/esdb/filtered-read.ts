import type esdb from '@eventstore/db-client';
import type { ResolvedEvent } from '@eventstore/db-client';
import type { ClientReadableStream } from '@grpc/grpc-js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import readStreamModule from '@eventstore/db-client/dist/streams/utils/ReadStream.js';
import clientUtils from '@eventstore/db-client/dist/utils/index.js';
import type { EventFilter } from '../port.js';
import type { AllPosition } from './positions.js';

type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type StreamsClient = InstanceType<typeof streamsGrpc.StreamsClient>;

/**
 * The client's own plumbing for streaming calls (its channel, reconnection on NotLeader/Unavailable, disposal on
 * `dispose()`, credentials from the connection string). It is `protected` in the 6.2 typings, public at runtime;
 * 6.2's `readAll` always sends `no_filter`, so a filtered read has to build its request on this plumbing.
 */
interface ClientPlumbing {
  GRPCStreamCreator(
    client: typeof streamsGrpc.StreamsClient,
    debugName: string,
    creator: (client: StreamsClient) => ClientReadableStream<ReadResp>,
  ): () => Promise<ClientReadableStream<ReadResp>>;
  callArguments(options: Record<string, never>, callOptions: { deadline: number }): [unknown, unknown];
}

/** A readable the adapter iterates like the client's own reads. */
export interface FilteredRead extends NodeJS.EventEmitter, AsyncIterable<ResolvedEvent> {
  cancel(): Promise<void>;
}

/** Events a filtered read may scan between two matches; the server's default for reads. */
const readSearchWindow = 32;

/** The server-side part of a filter: the stream prefix when given, else the types, else everything but `$`-typed events. */
export function serverExpression(filter: EventFilter | undefined): { on: 'stream' | 'type'; prefixes?: string[]; regex?: string } {
  if (filter?.streamPrefix) return { on: 'stream', prefixes: filter.streamPrefix };
  if (filter?.eventTypes) return { on: 'type', regex: `^(?:${filter.eventTypes.map(escapeRegex).join('|')})$` };
  return { on: 'type', regex: '^[^$].*' };
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Reads `$all` forwards with the filter applied by the server (so system events, link events and other streams are
 * never sent), from `from` (inclusive) or the start, at most `maxCount` matching events.
 */
export function readAllFiltered(
  client: InstanceType<typeof esdb.EventStoreDBClient>,
  from: AllPosition | undefined,
  filter: EventFilter | undefined,
  maxCount: number,
): FilteredRead {
  const options = new streamsPb.ReadReq.Options();
  const all = new streamsPb.ReadReq.Options.AllOptions();
  if (from) {
    const position = new streamsPb.ReadReq.Options.Position();
    position.setCommitPosition(from.commit.toString());
    position.setPreparePosition(from.prepare.toString());
    all.setPosition(position);
  } else {
    all.setStart(new sharedPb.Empty());
  }
  options.setAll(all);
  options.setReadDirection(0);
  options.setResolveLinks(false);
  options.setCount(String(maxCount));
  const uuid = new streamsPb.ReadReq.Options.UUIDOption();
  uuid.setString(new sharedPb.Empty());
  options.setUuidOption(uuid);
  const wanted = serverExpression(filter);
  const expression = new streamsPb.ReadReq.Options.FilterOptions.Expression();
  for (const prefix of wanted.prefixes ?? []) expression.addPrefix(prefix);
  if (wanted.regex) expression.setRegex(wanted.regex);
  const filterOptions = new streamsPb.ReadReq.Options.FilterOptions();
  if (wanted.on === 'stream') filterOptions.setStreamIdentifier(expression);
  else filterOptions.setEventType(expression);
  filterOptions.setMax(readSearchWindow);
  filterOptions.setCheckpointintervalmultiplier(1);
  options.setFilter(filterOptions);
  const request = new streamsPb.ReadReq();
  request.setOptions(options);
  const plumbing = client as unknown as ClientPlumbing;
  const open = plumbing.GRPCStreamCreator(streamsGrpc.StreamsClient, 'readAll', (grpc) =>
    grpc.read(request, ...(plumbing.callArguments({}, { deadline: Infinity }) as [never, never])),
  );
  return new readStreamModule.ReadStream(open, clientUtils.convertGrpcEvent, {}) as unknown as FilteredRead;
}
