import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { LogRecord } from './log.js';

const { ReadResp } = streamsPb;

/** A `ReadResp` carrying one recorded event, as EventStoreDB sends it (string UUIDs). */
export function eventMessage(record: LogRecord): InstanceType<typeof ReadResp> {
  const recorded = new ReadResp.ReadEvent.RecordedEvent();
  const id = new sharedPb.UUID();
  id.setString(record.id);
  recorded.setId(id);
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(record.streamId, 'utf8'));
  recorded.setStreamIdentifier(identifier);
  recorded.setStreamRevision(record.revision.toString());
  recorded.setCommitPosition(record.commit.toString());
  recorded.setPreparePosition(record.prepare.toString());
  const map = recorded.getMetadataMap();
  map.set('type', record.type);
  map.set('content-type', record.contentType);
  map.set('created', record.created.toString());
  recorded.setCustomMetadata(record.metadata);
  recorded.setData(record.data);
  const event = new ReadResp.ReadEvent();
  event.setEvent(recorded);
  event.setCommitPosition(record.commit.toString());
  const message = new ReadResp();
  message.setEvent(event);
  return message;
}

/** The first message of a subscription. */
export function confirmationMessage(subscriptionId: string): InstanceType<typeof ReadResp> {
  const confirmation = new ReadResp.SubscriptionConfirmation();
  confirmation.setSubscriptionId(subscriptionId);
  const message = new ReadResp();
  message.setConfirmation(confirmation);
  return message;
}

/** A filtered `$all` subscription's note that it has scanned up to a position. */
export function checkpointMessage(commit: bigint, prepare: bigint): InstanceType<typeof ReadResp> {
  const checkpoint = new ReadResp.Checkpoint();
  checkpoint.setCommitPosition(commit.toString());
  checkpoint.setPreparePosition(prepare.toString());
  const message = new ReadResp();
  message.setCheckpoint(checkpoint);
  return message;
}

/** Sent once a subscription has delivered everything that existed when it started. */
export function caughtUpMessage(): InstanceType<typeof ReadResp> {
  const message = new ReadResp();
  message.setCaughtUp(new ReadResp.CaughtUp());
  return message;
}

/** The reply to reading a stream that has no events. */
export function streamNotFoundMessage(streamId: string): InstanceType<typeof ReadResp> {
  const notFound = new ReadResp.StreamNotFound();
  const identifier = new sharedPb.StreamIdentifier();
  identifier.setStreamName(Buffer.from(streamId, 'utf8'));
  notFound.setStreamIdentifier(identifier);
  const message = new ReadResp();
  message.setStreamNotFound(notFound);
  return message;
}
