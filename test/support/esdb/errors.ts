import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import emptyPb from 'google-protobuf/google/protobuf/empty_pb.js';
import type { Expectation } from './log.js';

/** A fault a test can make the server answer with, as EventStoreDB would. */
export type Fault = 'not-leader' | 'unavailable' | 'deadline-exceeded' | 'access-denied';

/**
 * A gRPC error shaped like EventStoreDB's RpcExceptions: a status code, and the `exception` trailer (with its
 * extra keys) that the client reads to pick its error type.
 */
export function rpcError(code: status, details: string, exception?: string, extra: Record<string, string> = {}): Partial<ServiceError> {
  const metadata = new Metadata();
  if (exception) metadata.set('exception', exception);
  for (const [key, value] of Object.entries(extra)) metadata.set(key, value);
  return { code, details, metadata };
}

/** The error EventStoreDB answers a fault with. `leader` is where a follower points the client (host:port). */
export function faultError(fault: Fault, leader: { host: string; port: number }): Partial<ServiceError> {
  switch (fault) {
    case 'not-leader':
      return rpcError(status.NOT_FOUND, 'Leader info available', 'not-leader', {
        'leader-endpoint-host': leader.host,
        'leader-endpoint-port': String(leader.port),
      });
    case 'unavailable':
      return rpcError(status.UNAVAILABLE, 'Server Is Not Ready');
    case 'deadline-exceeded':
      return rpcError(status.DEADLINE_EXCEEDED, 'Deadline Exceeded');
    case 'access-denied':
      return accessDenied();
  }
}

export function accessDenied(): Partial<ServiceError> {
  return rpcError(status.PERMISSION_DENIED, 'Access Denied', 'access-denied');
}

export function streamDeleted(streamId: string): Partial<ServiceError> {
  return rpcError(status.FAILED_PRECONDITION, `Event stream '${streamId}' is deleted.`, 'stream-deleted', { 'stream-name': streamId });
}

export function appendTooLarge(maxAppendSize: number): Partial<ServiceError> {
  return rpcError(status.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, 'maximum-append-size-exceeded', {
    'maximum-append-size': String(maxAppendSize),
  });
}

export function invalidPosition(): Partial<ServiceError> {
  return rpcError(status.OUT_OF_RANGE, 'Invalid position.');
}

type Detail =
  | { kind: 'wrong-expected-version'; current: bigint | 'no-stream'; expected: Expectation }
  | { kind: 'stream-deleted'; streamId: string }
  | { kind: 'too-large'; maxAppendSize: number }
  | { kind: 'timeout' }
  | { kind: 'access-denied' };

/** A BatchAppend failure: a google.rpc.Status whose `details` packs one of EventStoreDB's error messages. */
export function batchStatus(detail: Detail): InstanceType<typeof statusPb.Status> {
  const result = new statusPb.Status();
  const any = new anyPb.Any();
  switch (detail.kind) {
    case 'wrong-expected-version': {
      const wrong = new sharedPb.WrongExpectedVersion();
      if (detail.current === 'no-stream') wrong.setCurrentNoStream(new emptyPb.Empty());
      else wrong.setCurrentStreamRevision(detail.current.toString());
      const expected = detail.expected;
      if (expected === 'no-stream') wrong.setExpectedNoStream(new emptyPb.Empty());
      else if (expected === 'any') wrong.setExpectedAny(new emptyPb.Empty());
      else if (expected === 'stream-exists') wrong.setExpectedStreamExists(new emptyPb.Empty());
      else wrong.setExpectedStreamPosition(expected.toString());
      any.pack(wrong.serializeBinary(), 'event_store.client.WrongExpectedVersion');
      result.setCode(status.FAILED_PRECONDITION as number as Parameters<typeof result.setCode>[0]);
      result.setMessage('WrongExpectedVersion');
      break;
    }
    case 'stream-deleted': {
      const deleted = new sharedPb.StreamDeleted();
      const identifier = new sharedPb.StreamIdentifier();
      identifier.setStreamName(Buffer.from(detail.streamId, 'utf8'));
      deleted.setStreamIdentifier(identifier);
      any.pack(deleted.serializeBinary(), 'event_store.client.StreamDeleted');
      result.setCode(status.FAILED_PRECONDITION as number as Parameters<typeof result.setCode>[0]);
      result.setMessage(`Event stream '${detail.streamId}' is deleted.`);
      break;
    }
    case 'too-large': {
      const tooLarge = new sharedPb.MaximumAppendSizeExceeded();
      tooLarge.setMaxappendsize(detail.maxAppendSize);
      any.pack(tooLarge.serializeBinary(), 'event_store.client.MaximumAppendSizeExceeded');
      result.setCode(status.INVALID_ARGUMENT as number as Parameters<typeof result.setCode>[0]);
      result.setMessage(`Maximum Append Size of ${detail.maxAppendSize} Exceeded.`);
      break;
    }
    case 'timeout':
      any.pack(new sharedPb.Timeout().serializeBinary(), 'event_store.client.Timeout');
      result.setCode(status.DEADLINE_EXCEEDED as number as Parameters<typeof result.setCode>[0]);
      result.setMessage('Timeout');
      break;
    case 'access-denied':
      any.pack(new sharedPb.AccessDenied().serializeBinary(), 'event_store.client.AccessDenied');
      result.setCode(status.PERMISSION_DENIED as number as Parameters<typeof result.setCode>[0]);
      result.setMessage('Access Denied');
      break;
  }
  result.setDetails(any);
  return result;
}
