import { createHash } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectStore } from '@nats-io/obj';
import { untilAnswered } from './work-queue.js';

// What executors on other machines need, moved through the broker instead of a shared filesystem:
// JetStream's object store holds the task bundle (the task folder without its sealed data) and one
// git bundle per node commit. Objects are content-addressed: a task bundle is named by the SHA-256
// of its bytes, a commit bundle by the commit it carries (git's own content address); both are
// checked on the receiving side, and sizes are capped before anything is read.

/** The object store bucket of a hypotree cluster. */
export const ARTIFACTS_BUCKET = 'hypotree-artifacts';

/** The largest bundle stored or fetched (bytes): a larger one is a clear failure, not a slow transfer. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;

/** The object name of the task bundle with these bytes. */
export function taskObjectName(sha256: string): string {
  return `task/${sha256}`;
}

/** The object name of the git bundle that carries `commit` (from the task's base commit). */
export function commitObjectName(commit: string): string {
  return `commit/${commit}`;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** An artifact that could not be stored or fetched as asked; the message says which and why. */
export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

/** The object store of artifacts on one NATS connection. */
export class ArtifactStore {
  private constructor(
    private readonly store: ObjectStore,
    readonly maxBytes: number,
    private readonly log: { warn(message: string): void },
  ) {}

  /**
   * Opens the bucket (`create`: make it if missing; the coordinator does, executors only open it).
   * Every operation rides out a broker restart (it is tried again until the broker answers).
   */
  static async open(nc: NatsConnection, options: { create: boolean; maxBytes?: number; log?: { warn(message: string): void } }): Promise<ArtifactStore> {
    const log = options.log ?? console;
    const objm = new Objm(nc);
    const store = await untilAnswered(
      `opening the ${ARTIFACTS_BUCKET} object store`,
      () => (options.create ? objm.create(ARTIFACTS_BUCKET, { description: 'hypotree task and commit bundles' }) : objm.open(ARTIFACTS_BUCKET)),
      log,
      60_000,
    );
    return new ArtifactStore(store, options.maxBytes ?? MAX_BUNDLE_BYTES, log);
  }

  /** Stores `data` under `name` unless an object with the same digest is there already; refuses one over the cap. */
  async put(name: string, data: Uint8Array): Promise<{ name: string; size: number; sha256: string }> {
    if (data.length > this.maxBytes) throw new ArtifactError(`${name} is ${data.length} bytes, over the ${this.maxBytes}-byte limit for a bundle`);
    const digest = sha256(data);
    await untilAnswered(`storing ${name}`, async () => {
      const existing = await this.store.info(name);
      if (!existing || existing.deleted || existing.size !== data.length || existing.metadata?.sha256 !== digest) {
        await this.store.putBlob({ name, metadata: { sha256: digest } }, data);
      }
    }, this.log);
    return { name, size: data.length, sha256: digest };
  }

  /**
   * Fetches `name`: its size is checked against the cap before it is read, the object store checks
   * its own digest while reading, and the bytes must hash to `expectedSha256` when given.
   */
  async get(name: string, expectedSha256?: string): Promise<Uint8Array> {
    return untilAnswered(`fetching ${name}`, () => this.read(name, expectedSha256), this.log, 60_000);
  }

  private async read(name: string, expectedSha256?: string): Promise<Uint8Array> {
    const info = await this.store.info(name);
    if (!info || info.deleted) throw new ArtifactError(`${name} is not in the ${ARTIFACTS_BUCKET} object store`);
    if (info.size > this.maxBytes) throw new ArtifactError(`${name} is ${info.size} bytes, over the ${this.maxBytes}-byte limit for a bundle`);
    let data: Uint8Array | null;
    try {
      data = await this.store.getBlob(name);
    } catch (error) {
      throw new Error(`${name} could not be read from the object store: ${(error as Error).message}`);
    }
    if (!data) throw new ArtifactError(`${name} disappeared from the ${ARTIFACTS_BUCKET} object store`);
    const digest = sha256(data);
    if (expectedSha256 !== undefined && digest !== expectedSha256) throw new ArtifactError(`${name} has SHA-256 ${digest}, not the ${expectedSha256} it was named by`);
    return data;
  }
}
