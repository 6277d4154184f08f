import { Server, ServerCredentials, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import gossipPb from '@eventstore/db-client/generated/gossip_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { randomUUID } from 'node:crypto';
import featuresGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import featuresPb from '@eventstore/db-client/generated/serverfeatures_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import { handleAppend, handleBatchAppend, handleDelete } from './esdb/append.js';
import type { Fault } from './esdb/errors.js';
import { InMemoryLog } from './esdb/log.js';
import { handleRead } from './esdb/read.js';
import { ServerState, type FaultedOperation } from './esdb/state.js';

export interface TestEventStoreDbOptions {
  /** Advertise BatchAppend in ServerFeatures, as every server since 21.10 does (default true); false serves only the classic Append. */
  batchAppend?: boolean;
  /** The largest append accepted, in bytes (default 1 MiB, EventStoreDB's MaxAppendSize). */
  maxAppendSize?: number;
  /** System events and the by-category projection's link events in `$all` (default true). */
  systemEvents?: boolean;
  /**
   * Serve over TLS with a fresh self-signed certificate and require credentials: `admin:changeit` may read `$all`,
   * `reader:secret` may not (AccessDenied, as for a user outside $admins and $ops).
   */
  secure?: boolean;
}

/**
 * A test-only EventStoreDB: an in-memory log behind the real gRPC service definitions the client ships. It serves
 * ServerFeatures (advertising BatchAppend), BatchAppend (one bidirectional stream per client, google.rpc.Status
 * error details, a deadline per append), the classic Append, Read (reads and catch-up subscriptions, filtered `$all`
 * checkpoints), Delete and Tombstone, `$maxCount`/`$tb` from `$$<stream>`, system and link events in `$all`, the
 * maximum append size, AccessDenied on `$all` for non-admins over TLS, and faults a test injects (NotLeader,
 * Unavailable, DeadlineExceeded, dropped subscriptions, a restart that forgets recent event ids). It proves the wire
 * contract, not EventStoreDB itself.
 */
export interface TestEventStoreDb {
  /** `esdb://127.0.0.1:<port>?tls=false`, or with TLS `esdb://admin:changeit@localhost:<port>?tlsCAFile=<cert>`. */
  connectionString: string;
  /** `esdb+discover://…`: the client asks Gossip for the cluster's members and connects to the leader (this server). */
  discoverConnectionString: string;
  /** The same server as a user who may not read `$all` (TLS only). */
  readerConnectionString?: string;
  /** The server's storage, for planting records a client could not write. */
  log: InMemoryLog;
  state: ServerState;
  /** Makes the next `times` calls of `operation` fail with `fault`. */
  inject(operation: FaultedOperation, fault: Fault, times?: number): void;
  /** Ends every live subscription with UNAVAILABLE; returns how many. */
  dropSubscriptions(): number;
  /** What a restart loses: live subscriptions and the recent-ids cache. The log stays. */
  restart(): void;
  /** Stops the server, ending open subscriptions. */
  stop(): Promise<void>;
}

function selfSignedCertificate(): { key: Buffer; cert: Buffer; certFile: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'esdb-tls-'));
  const [keyFile, certFile] = [path.join(dir, 'node.key'), path.join(dir, 'node.crt')];
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts the test-only server on a free loopback port. */
export async function startTestEventStoreDb(options: TestEventStoreDbOptions = {}): Promise<TestEventStoreDb> {
  const log = new InMemoryLog({ maxAppendSize: options.maxAppendSize, systemEvents: options.systemEvents });
  const users = new Map([
    ['admin', { password: 'changeit', admin: true }],
    ['reader', { password: 'secret', admin: false }],
  ]);
  const state = new ServerState(log, users, options.secure ?? false);
  const server = new Server();
  type Delete = Parameters<typeof handleDelete>;
  const streams = {
    read: (call: Parameters<typeof handleRead>[1]) => handleRead(state, call),
    append: (call: Parameters<typeof handleAppend>[1], callback: Parameters<typeof handleAppend>[2]) => handleAppend(state, call, callback),
    batchAppend: (call: Parameters<typeof handleBatchAppend>[1]) => handleBatchAppend(state, call),
    delete: (call: Delete[2], callback: Delete[3]) => handleDelete(state, false, call, callback),
    tombstone: (call: Delete[2], callback: Delete[3]) => handleDelete(state, true, call, callback),
  };
  server.addService(streamsGrpc.StreamsService, streams as unknown as UntypedServiceImplementation);
  if (options.batchAppend ?? true) {
    server.addService(featuresGrpc.ServerFeaturesService, {
      getSupportedMethods: (_call: unknown, callback: sendUnaryData<InstanceType<typeof featuresPb.SupportedMethods>>) => {
        const methods = new featuresPb.SupportedMethods();
        methods.setEventStoreServerVersion('24.10.0-test');
        for (const name of ['read', 'append', 'batchappend', 'delete', 'tombstone']) {
          const method = new featuresPb.SupportedMethod();
          method.setServiceName('event_store.client.streams.streams');
          method.setMethodName(name);
          methods.addMethods(method);
        }
        callback(null, methods);
      },
    });
  }
  // Gossip, for `esdb+discover://`: this node is the leader of a three-node cluster whose followers are elsewhere.
  server.addService(gossipGrpc.GossipService, {
    read: (_call: unknown, callback: sendUnaryData<InstanceType<typeof gossipPb.ClusterInfo>>) => {
      const info = new gossipPb.ClusterInfo();
      const members: [number, number][] = [[gossipPb.MemberInfo.VNodeState.FOLLOWER, 1], [gossipPb.MemberInfo.VNodeState.LEADER, state.leader.port], [gossipPb.MemberInfo.VNodeState.FOLLOWER, 2]];
      for (const [role, port] of members) {
        const member = new gossipPb.MemberInfo();
        const id = new sharedPb.UUID();
        id.setString(randomUUID());
        member.setInstanceId(id);
        member.setTimeStamp(String(Date.now()));
        member.setState(role);
        member.setIsAlive(true);
        const endpoint = new gossipPb.EndPoint();
        endpoint.setAddress(state.leader.host);
        endpoint.setPort(port);
        member.setHttpEndPoint(endpoint);
        info.addMembers(member);
      }
      callback(null, info);
    },
  } as unknown as UntypedServiceImplementation);
  const tls = options.secure ? selfSignedCertificate() : undefined;
  const credentials = tls ? ServerCredentials.createSsl(null, [{ private_key: tls.key, cert_chain: tls.cert }]) : ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  state.leader = { host: tls ? 'localhost' : '127.0.0.1', port };
  const secureString = (user: string, password: string): string => `esdb://${user}:${password}@localhost:${port}?tlsCAFile=${tls!.certFile}`;
  return {
    connectionString: tls ? secureString('admin', 'changeit') : `esdb://127.0.0.1:${port}?tls=false`,
    discoverConnectionString: tls
      ? `esdb+discover://admin:changeit@localhost:${port}?tlsCAFile=${tls.certFile}`
      : `esdb+discover://127.0.0.1:${port}?tls=false`,
    readerConnectionString: tls ? secureString('reader', 'secret') : undefined,
    log,
    state,
    inject: (operation, fault, times) => state.inject(operation, fault, times),
    dropSubscriptions: () => state.dropSubscriptions(),
    restart: () => {
      state.dropSubscriptions();
      log.forgetRecentIds();
    },
    stop: async () => {
      server.forceShutdown();
      tls?.cleanup();
    },
  };
}
