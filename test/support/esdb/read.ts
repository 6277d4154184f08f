import type { ServerWritableStream } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import type streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { InMemoryLog, LogRecord } from './log.js';
import { caughtUpMessage, checkpointMessage, confirmationMessage, eventMessage, streamNotFoundMessage } from './messages.js';

type ReadReq = InstanceType<typeof streamsPb.ReadReq>;
type ReadResp = InstanceType<typeof streamsPb.ReadResp>;
type Options = InstanceType<typeof streamsPb.ReadReq.Options>;
type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

const defaultSearchWindow = 32;

interface Filter {
  matches(record: LogRecord): boolean;
  /** Scanned events between two checkpoints. */
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
  return {
    matches: (record) => test(onStream ? record.streamId : record.type),
    checkpointEvery: (filter.hasMax() ? filter.getMax() : defaultSearchWindow) * Math.max(1, filter.getCheckpointintervalmultiplier()),
  };
}

function streamName(options: Options): string {
  return Buffer.from(options.getStream()!.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
}

/** Whether `record` comes after the position (commit, prepare) in `$all` order. */
function after(record: LogRecord, commit: bigint, prepare: bigint): boolean {
  return record.commit > commit || (record.commit === commit && record.prepare > prepare);
}

/** Serves `Streams/Read`: a finite read of a stream or `$all`, or a catch-up subscription that then stays live. */
export function handleRead(log: InMemoryLog, call: ReadCall): void {
  const options = call.request.getOptions();
  if (!options) {
    call.emit('error', { code: status.INVALID_ARGUMENT, details: 'read without options' });
    return;
  }
  if (options.hasSubscription()) subscribe(log, call, options);
  else read(log, call, options);
}

function read(log: InMemoryLog, call: ReadCall, options: Options): void {
  const backwards = options.getReadDirection() === 1;
  let count = options.hasCount() ? BigInt(options.getCount()) : BigInt(Number.MAX_SAFE_INTEGER);
  let records: LogRecord[];
  if (options.hasStream()) {
    const name = streamName(options);
    const stream = log.stream(name);
    if (stream.length === 0) {
      call.write(streamNotFoundMessage(name));
      call.end();
      return;
    }
    const from = options.getStream()!;
    const last = BigInt(stream.length - 1);
    const start = from.hasRevision() ? BigInt(from.getRevision()) : from.hasEnd() ? (backwards ? last : last + 1n) : backwards ? last : 0n;
    records = backwards ? stream.filter((r) => r.revision <= start).reverse() : stream.filter((r) => r.revision >= start);
  } else {
    const all = options.getAll()!;
    const position = all.getPosition();
    records = backwards ? [...log.records].reverse() : log.records;
    if (all.hasEnd()) records = backwards ? records : [];
    if (position) {
      const [commit, prepare] = [BigInt(position.getCommitPosition()), BigInt(position.getPreparePosition())];
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
    count -= 1n;
  }
  call.end();
}

function subscribe(log: InMemoryLog, call: ReadCall, options: Options): void {
  call.write(confirmationMessage(randomUUID()));
  const filter = parseFilter(options);
  let scanned = 0;
  let matches: (record: LogRecord) => boolean;
  let backlog: LogRecord[];
  if (options.hasStream()) {
    const name = streamName(options);
    const from = options.getStream()!;
    const stream = log.stream(name);
    // A subscription's start is exclusive: it delivers what comes after the given revision.
    const afterRevision = from.hasRevision() ? BigInt(from.getRevision()) : from.hasEnd() ? BigInt(stream.length - 1) : -1n;
    matches = (record) => record.streamId === name;
    backlog = stream.filter((record) => record.revision > afterRevision);
  } else {
    const all = options.getAll()!;
    const position = all.getPosition();
    const start = position ? [BigInt(position.getCommitPosition()), BigInt(position.getPreparePosition())] as const : undefined;
    matches = () => true;
    backlog = all.hasEnd() ? [] : start ? log.records.filter((record) => after(record, start[0], start[1])) : [...log.records];
  }
  const deliver = (record: LogRecord): void => {
    if (!matches(record)) return;
    if (filter) {
      scanned += 1;
      if (filter.matches(record)) call.write(eventMessage(record));
      if (scanned % filter.checkpointEvery === 0) call.write(checkpointMessage(record.commit, record.prepare));
      return;
    }
    call.write(eventMessage(record));
  };
  // Catch-up and the switch to live happen in one turn of the event loop, so no append falls in between.
  for (const record of backlog) deliver(record);
  call.write(caughtUpMessage());
  const stop = log.onWrite(deliver);
  call.on('cancelled', stop);
  call.on('close', stop);
  call.on('error', stop);
}
