export * from './contracts.js';
export { InProcessBus, type BusHandler } from './in-process/bus.js';
export { InProcessServer } from './in-process/server.js';
export { InProcessClient } from './in-process/client.js';
export { NatsServersSchema, parseNatsServers, connectionOptions, executorInbox, type NatsConnection } from './nats/servers.js';
export { natsMicroservice, natsClient, connectNats, warnOpenBus, type NatsServerBehaviour } from './nats/options.js';
export { HypotreeNatsClient, DEFAULT_REQUEST_RETRY, reasonOf, type RequestRetry, type HypotreeClientOptions } from './nats/client.js';
export { ContractDeserializer, MAX_MESSAGE_BYTES, type InboundPolicy } from './nats/deserializer.js';
export { SealingSerializer, SealedReplyDeserializer, replySubject } from './nats/replies.js';
export {
  WORK_QUEUE, DEFAULT_WORK_QUEUE, workQueueFor, workingEveryMs, workSubject, ensureWorkQueue, DispatchQueue, pullDispatches, MAX_DELIVERIES_ADVISORY,
  type WorkQueueSettings, type DeadLetter, type QueuedDispatch, type WorkQueuePull,
} from './jetstream/work-queue.js';
export { ArtifactStore, ArtifactError, ARTIFACTS_BUCKET, MAX_BUNDLE_BYTES, taskObjectName, commitObjectName, sha256 } from './jetstream/artifacts.js';
export { untilStopped, type StopService } from './nats/lifecycle.js';
export { parseServiceConfig, type SettingSource } from './service-config.js';
export { seal, open, RefusedMessage, EnvelopeSchema, type Envelope, type Signers, type Opened } from './auth/envelope.js';
export {
  identityFromSeed, createUserKey, isUserPublicKey, verifyingKey, parseTrustList, securityFromEnv, executorOfKey,
  TrustListSchema, SECURITY_ENV, type ServiceIdentity, type TrustList, type BusSecurity,
} from './auth/identity.js';
export { DispatchLedger, speaksFor, type ReportClaim } from './auth/ledger.js';
export { signersOf } from './auth/signers.js';
export { reportPolicy } from './auth/report-policy.js';
export { ROLE_PERMISSIONS, permissionsBlock, natsAuthConfig, executorPermissions, type BusRole, type Permissions } from './auth/nats-config.js';
export * from './evidence.js';
