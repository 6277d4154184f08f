import type { ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import { accessDenied, invalidPosition, streamDeleted } from './errors.js';
import type { LogRecord } from './log.js';
import { caughtUpMessage, checkpointMessage, confirmationMessage, eventMessage, streamNotFoundMessage } from './messages.js';
import type { ServerState } from './state.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type Options = InstanceType<typeof streamsPb.ReadReq.Options>;
type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

const defaultSearchWindow = 32;

interface Filter {
  matches(record: LogRecord): boolean;
  /** Events scanned per page (the search window). */
  window: number;
  /** Scanned events between two checkpoints: the window times the multiplier. */
  checkpointEvery: number;
}

function parseFilter(options: Options): Filter | undefined {
  if (!options.hasFilter()) return undefined;
  const filter = options.getFilter()!;
  const onStream = filter.hasStreamIdentifier();
  const expression = onStream ? filter.getStreamIdentifier()! : filter.getEventType()!;
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  const test = (value: string): boolean =>
    prefixes.length > 0 ? prefixes.some((prefix) => value.startsWith(prefix)) : regex ? regex.test(value) : true;
  const window = filter.hasMax() ? filter.getMax() : defaultSearchWindow;
  return {
    matches: (record) => test(onStream ? record.streamId : record.type),
    window,
    checkpointEvery: window * Math.max(1, filter.getCheckpointintervalmultiplier()),
  };
}

function streamName(options: Options): string {
  return Buffer.from(options.getStream()!.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
}

/** Whether `record` comes after the position (commit, prepare) in `$all` order. */
function after(record: LogRecord, commit: bigint, prepare: bigint): boolean {
  return record.commit > commit || (record.commit === commit && record.prepare > prepare);
}

/** The `$all` position a request names, or undefined for start/end; 'invalid' for one that is no event's position. */
function allPosition(state: ServerState, options: Options): readonly [bigint, bigint] | undefined | 'invalid' {
  const position = options.getAll()!.getPosition();
  if (!position) return undefined;
  const at = [BigInt(position.getCommitPosition()), BigInt(position.getPreparePosition())] as const;
  if (at[0] === 0n && at[1] === 0n) return at;
  return state.log.records.some((r) => r.commit === at[0] && r.prepare === at[1]) ? at : 'invalid';
}

/** Serves `Streams/Read`: a finite read of a stream or `$all`, or a catch-up subscription that then stays live. */
export function handleRead(state: ServerState, call: ReadCall): void {
  const options = call.request.getOptions();
  if (!options) {
    call.emit('error', { code: status.INVALID_ARGUMENT, details: 'read without options' });
    return;
  }
  const subscription = options.hasSubscription();
  const fault = state.takeFault(subscription ? 'subscribe' : 'read');
  if (fault) return void call.emit('error', state.faultError(fault));
  if (options.hasAll() && !state.mayReadAll(call.metadata)) return void call.emit('error', accessDenied());
  if (options.hasAll() && allPosition(state, options) === 'invalid') return void call.emit('error', invalidPosition());
  if (options.hasStream() && state.log.isTombstoned(streamName(options))) return void call.emit('error', streamDeleted(streamName(options)));
  if (!subscription) return read(state, call, options);
  if (state.subscribeDelayMs > 0) setTimeout(() => !call.cancelled && subscribe(state, call, options), state.subscribeDelayMs);
  else subscribe(state, call, options);
}

function read(state: ServerState, call: ReadCall, options: Options): void {
  const backwards = options.getReadDirection() === 1;
  let count = options.hasCount() ? BigInt(options.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
  let records: LogRecord[];
  if (options.hasStream()) {
    const name = streamName(options);
    const view = state.log.view(name);
    const stream = view.deleted ? [] : view.records;
    if (stream.length === 0) {
      call.write(streamNotFoundMessage(name));
      call.end();
      return;
    }
    const from = options.getStream()!;
    const last = stream[stream.length - 1]!.revision;
    const start = from.hasRevision() ? BigInt(from.getRevision()) : from.hasEnd() ? (backwards ? last : last + 1n) : backwards ? last : 0n;
    records = backwards ? stream.filter((r) => r.revision <= start).reverse() : stream.filter((r) => r.revision >= start);
  } else {
    const all = options.getAll()!;
    const position = allPosition(state, options) as readonly [bigint, bigint] | undefined;
    records = backwards ? [...state.log.records].reverse() : state.log.records;
    if (all.hasEnd()) records = backwards ? records : [];
    if (position) {
      const [commit, prepare] = position;
      // A read's start is inclusive forwards; backwards it returns what lies before the position.
      const atOrAfter = (r: LogRecord): boolean => after(r, commit, prepare) || (r.commit === commit && r.prepare === prepare);
      records = records.filter((r) => (backwards ? !atOrAfter(r) : atOrAfter(r)));
    }
    const filter = parseFilter(options);
    if (filter) records = records.filter(filter.matches);
  }
  for (const record of records) {
    if (count <= 0n) break;
    call.write(eventMessage(record));
    state.eventsRead += 1;
    count -= 1n;
  }
  call.end();
}

/**
 * A catch-up subscription. Filtered `$all` subscriptions checkpoint as EventStoreDB does: at the end of every page of
 * `checkpointEvery` scanned events during catch-up, once when catch-up goes live (at the last position scanned, even
 * with no match), then every `checkpointEvery` scanned events live. A checkpoint is the position of the last event
 * scanned, so resuming after it (exclusive) delivers the next matching event first.
 */
function subscribe(state: ServerState, call: ReadCall, options: Options): void {
  call.write(confirmationMessage(randomUUID()));
  const filter = parseFilter(options);
  let scanned = 0;
  let lastScanned: LogRecord | undefined;
  let matches: (record: LogRecord) => boolean;
  let backlog: LogRecord[];
  const name = options.hasStream() ? streamName(options) : undefined;
  if (name !== undefined) {
    const from = options.getStream()!;
    const view = state.log.view(name);
    const stream = view.deleted ? [] : view.records;
    const last = stream.length === 0 ? -1n : stream[stream.length - 1]!.revision;
    // A subscription's start is exclusive: it delivers what comes after the given revision.
    const afterRevision = from.hasRevision() ? BigInt(from.getRevision()) : from.hasEnd() ? last : -1n;
    matches = (record) => record.streamId === name;
    backlog = stream.filter((record) => record.revision > afterRevision);
  } else {
    const all = options.getAll()!;
    const start = allPosition(state, options) as readonly [bigint, bigint] | undefined;
    matches = () => true;
    backlog = all.hasEnd() ? [] : start ? state.log.records.filter((record) => after(record, start[0], start[1])) : [...state.log.records];
  }
  let lastCheckpoint: LogRecord | undefined;
  // Never the same checkpoint twice in a row (EventStoreDB's own tests check there is no duplicate).
  const checkpoint = (record: LogRecord): void => {
    if (record === lastCheckpoint) return;
    lastCheckpoint = record;
    call.write(checkpointMessage(record.commit, record.prepare));
  };
  const deliver = (record: LogRecord): void => {
    if (!matches(record)) return;
    if (name !== undefined && record.type === '$streamDeleted') {
      call.emit('error', streamDeleted(name));
      return;
    }
    if (!filter) return void call.write(eventMessage(record));
    scanned += 1;
    lastScanned = record;
    if (filter.matches(record)) call.write(eventMessage(record));
    if (scanned % filter.checkpointEvery === 0) checkpoint(record);
  };
  // Catch-up and the switch to live happen in one turn of the event loop, so no append falls in between.
  for (const record of backlog) deliver(record);
  if (filter) {
    const end = lastScanned ?? state.log.records[state.log.records.length - 1];
    if (end) checkpoint(end);
  }
  call.write(caughtUpMessage());
  const stop = state.log.onWrite(deliver);
  state.subscriptions.add(call as ServerWritableStream<unknown, unknown>);
  const cleanup = (): void => {
    stop();
    state.subscriptions.delete(call as ServerWritableStream<unknown, unknown>);
  };
  call.on('cancelled', cleanup);
  call.on('close', cleanup);
  call.on('error', cleanup);
  call.on('finish', cleanup);
}
