import type { ServerDuplexStream, ServerReadableStream, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import { appendTooLarge, batchStatus, streamDeleted, type Fault } from './errors.js';
import type { AppendOutcome, Expectation, InMemoryLog, ProposedEvent } from './log.js';
import type { ServerState } from './state.js';

type AppendReq = InstanceType<typeof streamsPb.AppendReq>;
type AppendResp = InstanceType<typeof streamsPb.AppendResp>;
type BatchAppendReq = InstanceType<typeof streamsPb.BatchAppendReq>;
type BatchAppendResp = InstanceType<typeof streamsPb.BatchAppendResp>;
type ProposedMessage = InstanceType<typeof streamsPb.AppendReq.ProposedMessage> | InstanceType<typeof streamsPb.BatchAppendReq.ProposedMessage>;

function streamNameOf(identifier: InstanceType<typeof sharedPb.StreamIdentifier> | undefined): string {
  return identifier ? Buffer.from(identifier.getStreamName_asU8()).toString('utf8') : '';
}

function proposedEvent(message: ProposedMessage): ProposedEvent {
  const uuid = message.getId();
  const metadata = message.getMetadataMap();
  return {
    id: uuid?.hasString() ? uuid.getString() : '',
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

const invalidEvent = (events: ProposedEvent[]): boolean => events.some((event) => event.id === '' || event.type === '');

/** Serves the classic `Streams/Append`: one options message, then one message per event; one reply. */
export function handleAppend(state: ServerState, call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
  const fault = state.takeFault('append');
  let streamId = '';
  let expected: Expectation = 'any';
  const events: ProposedEvent[] = [];
  call.on('data', (request: AppendReq) => {
    if (request.hasOptions()) {
      const options = request.getOptions()!;
      streamId = streamNameOf(options.getStreamIdentifier());
      expected = options.hasNoStream() ? 'no-stream' : options.hasStreamExists() ? 'stream-exists' : options.hasRevision() ? BigInt(options.getRevision()) : 'any';
      return;
    }
    events.push(proposedEvent(request.getProposedMessage()!));
  });
  call.on('error', () => undefined);
  call.on('end', () => (state.writeDelayMs > 0 ? setTimeout(finish, state.writeDelayMs) : finish()));
  const finish = (): void => {
    if (fault) return callback(state.faultError(fault));
    if (invalidEvent(events)) return callback({ code: status.INVALID_ARGUMENT, details: 'every proposed event needs a string id and a type' });
    const outcome = state.log.append(streamId, events, expected);
    if (!outcome.ok && outcome.problem === 'stream-deleted') return callback(streamDeleted(streamId));
    if (!outcome.ok && outcome.problem === 'too-large') return callback(appendTooLarge(outcome.maxAppendSize));
    const response = new streamsPb.AppendResp();
    if (outcome.ok) {
      const success = new streamsPb.AppendResp.Success();
      success.setCurrentRevision(outcome.revision.toString());
      const position = new streamsPb.AppendResp.Position();
      position.setCommitPosition(outcome.commit.toString());
      position.setPreparePosition(outcome.prepare.toString());
      success.setPosition(position);
      response.setSuccess(success);
    } else if (outcome.problem === 'wrong-expected-version') {
      const wrong = new streamsPb.AppendResp.WrongExpectedVersion();
      if (outcome.current === 'no-stream') wrong.setCurrentNoStream(new sharedPb.Empty());
      else wrong.setCurrentRevision(outcome.current.toString());
      if (expected === 'no-stream') wrong.setExpectedNoStream(new sharedPb.Empty());
      else if (expected === 'stream-exists') wrong.setExpectedStreamExists(new sharedPb.Empty());
      else if (expected === 'any') wrong.setExpectedAny(new sharedPb.Empty());
      else wrong.setExpectedRevision(expected.toString());
      response.setWrongExpectedVersion(wrong);
    }
    callback(null, response);
  };
}

interface PendingBatch {
  streamId: string;
  expected: Expectation;
  /** Milliseconds since the epoch; the server answers Timeout once it has passed. */
  deadline: number;
  events: ProposedEvent[];
  identifier: InstanceType<typeof sharedPb.StreamIdentifier>;
}

/**
 * Serves `Streams/BatchAppend` as EventStoreDB does: one bidirectional stream per client carries many appends, each
 * a run of requests sharing a correlation id (options on the first, `is_final` on the last), each answered by one
 * reply with that correlation id: success with revision and position, or a google.rpc.Status whose details name
 * the failure (WrongExpectedVersion, StreamDeleted, MaximumAppendSizeExceeded, Timeout when its deadline passed).
 * An injected fault fails the whole stream, as a leader change or a dropped connection does.
 */
export function handleBatchAppend(state: ServerState, call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
  state.batchStreams += 1;
  const pending = new Map<string, PendingBatch>();
  call.on('data', (request: BatchAppendReq) => {
    const fault: Fault | undefined = state.takeFault('append');
    if (fault) {
      call.emit('error', state.faultError(fault));
      return;
    }
    const correlation = request.getCorrelationId()!;
    const key = correlation.hasString() ? correlation.getString() : correlation.serializeBinary().toString();
    let batch = pending.get(key);
    if (!batch) {
      const options = request.getOptions();
      if (!options) {
        call.emit('error', { code: status.INVALID_ARGUMENT, details: 'the first request of a batch carries its options' });
        return;
      }
      const deadline = options.getDeadline();
      batch = {
        streamId: streamNameOf(options.getStreamIdentifier()),
        identifier: options.getStreamIdentifier()!,
        expected: options.hasNoStream() ? 'no-stream' : options.hasStreamExists() ? 'stream-exists' : options.hasStreamPosition() ? BigInt(options.getStreamPosition()) : 'any',
        deadline: deadline ? deadline.toDate().getTime() : Infinity,
        events: [],
      };
      pending.set(key, batch);
    }
    for (const message of request.getProposedMessagesList()) batch.events.push(proposedEvent(message));
    if (!request.getIsFinal()) return;
    pending.delete(key);
    if (invalidEvent(batch.events)) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: 'every proposed event needs a string id and a type' });
      return;
    }
    const finished = batch;
    const reply = (): void => {
      if (call.cancelled || call.destroyed) return;
      call.write(batchReply(state.log, correlation, finished));
    };
    if (state.writeDelayMs > 0) setTimeout(reply, state.writeDelayMs);
    else reply();
  });
  call.on('end', () => call.end());
  call.on('error', () => undefined);
}

function batchReply(log: InMemoryLog, correlation: InstanceType<typeof sharedPb.UUID>, batch: PendingBatch): BatchAppendResp {
  const response = new streamsPb.BatchAppendResp();
  response.setCorrelationId(correlation);
  response.setStreamIdentifier(batch.identifier);
  if (batch.expected === 'any') response.setAny(new sharedPb.Empty());
  else if (batch.expected === 'no-stream') response.setNoStream(new sharedPb.Empty());
  else if (batch.expected === 'stream-exists') response.setStreamExists(new sharedPb.Empty());
  else response.setStreamPosition(batch.expected.toString());
  if (Date.now() > batch.deadline) {
    response.setError(batchStatus({ kind: 'timeout' }));
    return response;
  }
  const outcome: AppendOutcome = log.append(batch.streamId, batch.events, batch.expected);
  if (outcome.ok) {
    const success = new streamsPb.BatchAppendResp.Success();
    if (outcome.revision < 0n) success.setNoStream(new sharedPb.Empty());
    else success.setCurrentRevision(outcome.revision.toString());
    const position = new sharedPb.AllStreamPosition();
    position.setCommitPosition(outcome.commit.toString());
    position.setPreparePosition(outcome.prepare.toString());
    success.setPosition(position);
    response.setSuccess(success);
  } else if (outcome.problem === 'wrong-expected-version') {
    response.setError(batchStatus({ kind: 'wrong-expected-version', current: outcome.current, expected: batch.expected }));
  } else if (outcome.problem === 'stream-deleted') {
    response.setError(batchStatus({ kind: 'stream-deleted', streamId: batch.streamId }));
  } else {
    response.setError(batchStatus({ kind: 'too-large', maxAppendSize: outcome.maxAppendSize }));
  }
  return response;
}

type DeleteCall = ServerUnaryCall<InstanceType<typeof streamsPb.DeleteReq>, InstanceType<typeof streamsPb.DeleteResp>>;
type TombstoneCall = ServerUnaryCall<InstanceType<typeof streamsPb.TombstoneReq>, InstanceType<typeof streamsPb.TombstoneResp>>;

/** Serves `Streams/Delete` (soft) and `Streams/Tombstone` (hard) with their expected revision. */
export function handleDelete(
  state: ServerState,
  hard: boolean,
  call: DeleteCall | TombstoneCall,
  callback: sendUnaryData<InstanceType<typeof streamsPb.DeleteResp> | InstanceType<typeof streamsPb.TombstoneResp>>,
): void {
  const fault = state.takeFault('delete');
  if (fault) return callback(state.faultError(fault));
  const options = call.request.getOptions()!;
  const streamId = streamNameOf(options.getStreamIdentifier());
  const expected: Expectation = options.hasNoStream() ? 'no-stream' : options.hasStreamExists() ? 'stream-exists' : options.hasRevision() ? BigInt(options.getRevision()) : 'any';
  const outcome = hard ? state.log.tombstone(streamId, expected) : state.log.softDelete(streamId, expected);
  if (!outcome.ok && outcome.problem === 'stream-deleted') return callback(streamDeleted(streamId));
  if (!outcome.ok) {
    const current = outcome.problem === 'wrong-expected-version' ? String(outcome.current) : '';
    return callback({ code: status.FAILED_PRECONDITION, details: 'WrongExpectedVersion', metadata: state.wrongVersionMetadata(streamId, expected, current) });
  }
  const response = hard ? new streamsPb.TombstoneResp() : new streamsPb.DeleteResp();
  const position = hard ? new streamsPb.TombstoneResp.Position() : new streamsPb.DeleteResp.Position();
  position.setCommitPosition(outcome.commit.toString());
  position.setPreparePosition(outcome.prepare.toString());
  response.setPosition(position as never);
  callback(null, response);
}
