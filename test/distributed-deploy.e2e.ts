import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';

// js-yaml 3 comes with Jest (through @istanbuljs/load-nyc-config), untyped: the two calls used here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown; loadAll(text: string): unknown[] };

// deploy/ checked without a container engine or a cluster: the compose file and the Kubernetes
// manifests parsed (js-yaml; `kubectl kustomize` renders the manifests with the credentials
// deploy/keys.mjs writes), then checked for what #12 asks of them. No official schema validation
// (no API server, no `docker compose config` here): the structural checks below are what stands
// in for it. Each check is also shown failing on a copy with the protection removed.

type Doc = Record<string, any>;
const COMPOSE = path.resolve('deploy/compose.yaml');
const KEY_FILES = ['nats-auth.conf', 'trust.json', 'coordinator.nk', 'executor.nk', 'distiller.nk', 'analytics.nk'];

/** What is wrong with a compose file, by #12's rules (empty: nothing). */
function composeProblems(compose: Doc): string[] {
  const problems: string[] = [];
  const services: Record<string, Doc> = compose.services ?? {};
  for (const [name, service] of Object.entries(services)) {
    for (const port of service.ports ?? []) if (!String(port).startsWith('127.0.0.1:')) problems.push(`${name}: port ${port} is published on all interfaces`);
    const hypotree = String(service.image ?? '').includes('hypotree');
    if (hypotree && service.image !== '${HYPOTREE_IMAGE:-hypotree:0.1.0}') problems.push(`${name}: image ${service.image} cannot be overridden with HYPOTREE_IMAGE`);
    const seed = service.environment?.HYPOTREE_NKEY_FILE as string | undefined;
    if (seed) {
      const secret = seed.replace('/run/secrets/', '');
      if (!(service.secrets ?? []).includes(secret)) problems.push(`${name}: HYPOTREE_NKEY_FILE ${seed} is not one of its secrets`);
      if (!(service.secrets ?? []).includes('trust') || service.environment.HYPOTREE_TRUST_FILE !== '/run/secrets/trust') problems.push(`${name}: no trust list`);
      if ((service.secrets ?? []).filter((s: string) => s.endsWith('-nkey')).length !== 1) problems.push(`${name}: mounts more than its own seed`);
    } else if (hypotree && name !== 'analytics') {
      problems.push(`${name}: no NATS credentials (HYPOTREE_NKEY_FILE)`);
    }
  }
  for (const [name, secret] of Object.entries<Doc>(compose.secrets ?? {})) {
    if (!KEY_FILES.includes(path.basename(secret.file))) problems.push(`secret ${name}: ${secret.file} is not a file deploy/keys.mjs writes`);
  }
  if (!services.analytics) problems.push('no analytics service');
  if (!(services.nats?.command ?? []).join(' ').includes('-c /run/secrets/nats-auth') || !(services.nats?.secrets ?? []).includes('nats-auth')) problems.push('nats runs without the auth config');
  return problems;
}

/** What is wrong with the rendered manifests (empty: nothing). */
function manifestProblems(docs: Doc[]): string[] {
  const problems: string[] = [];
  const secret = docs.find((d) => d.kind === 'Secret' && String(d.metadata?.name).startsWith('hypotree-nats-keys'));
  if (!secret) problems.push('no hypotree-nats-keys Secret');
  for (const doc of docs) {
    const id = `${doc.kind}/${doc.metadata?.name}`;
    if (!doc.apiVersion || !doc.kind || !doc.metadata?.name) problems.push(`${id}: apiVersion, kind and metadata.name are required`);
    if (doc.kind !== 'Namespace' && doc.metadata?.namespace !== 'hypotree') problems.push(`${id}: not in namespace hypotree`);
    if (doc.kind === 'Service' && doc.spec?.type && doc.spec.type !== 'ClusterIP') problems.push(`${id}: exposed outside the cluster (${doc.spec.type})`);
    const pod = doc.spec?.template?.spec ?? doc.spec?.jobTemplate?.spec?.template?.spec;
    if (!pod) continue;
    for (const container of pod.containers ?? []) {
      if (!container.name || !container.image) problems.push(`${id}: a container needs a name and an image`);
      if (String(container.image).startsWith('hypotree') && container.image !== 'hypotree:0.1.0') problems.push(`${id}: image ${container.image} (kustomize images: did not apply)`);
      const seedEnv = (container.env ?? []).find((e: Doc) => e.name === 'HYPOTREE_NKEY_FILE');
      const mounts = (pod.volumes ?? []).filter((v: Doc) => v.secret);
      const seeds = mounts.flatMap((v: Doc) => (v.secret.items ?? []).map((i: Doc) => i.key)).filter((k: string) => k.endsWith('.nk'));
      if (String(container.image).startsWith('hypotree') && container.name !== 'analytics') {
        if (!seedEnv) problems.push(`${id}: no NATS credentials (HYPOTREE_NKEY_FILE)`);
        if (seeds.length !== 1) problems.push(`${id}: mounts ${seeds.length} seeds, not its own one`);
      }
      for (const volume of mounts) {
        if (secret && volume.secret.secretName !== secret.metadata.name) problems.push(`${id}: mounts secret ${volume.secret.secretName}, not ${secret.metadata.name}`);
      }
    }
  }
  if (!docs.some((d) => d.kind === 'Deployment' && d.metadata?.name === 'hypotree-analytics')) problems.push('no analytics Deployment');
  const nats = docs.find((d) => d.kind === 'StatefulSet' && d.metadata?.name === 'nats');
  if (!nats?.spec.template.spec.containers[0].args.join(' ').includes('-c /etc/nats-auth/nats-auth.conf')) problems.push('nats runs without the auth config');
  return problems;
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hypotree-deploy-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('deploy/ without an engine', () => {
  it('compose: loopback-only ports, an overridable image, each service its own seed and the trust list, analytics, NATS with its auth config', () => {
    const compose = yaml.load(fs.readFileSync(COMPOSE, 'utf8')) as Doc;
    expect(composeProblems(compose)).toEqual([]);
    expect(Object.keys(compose.services).sort()).toEqual(['analytics', 'distiller', 'eventstore', 'executor', 'nats', 'search']);
    // The checks catch each protection removed.
    const open = structuredClone(compose);
    open.services.nats.ports = ['4222:4222'];
    open.services.executor.secrets = ['trust', 'executor-nkey', 'coordinator-nkey'];
    delete open.services.search.environment.HYPOTREE_NKEY_FILE;
    open.services.nats.command = ['-js'];
    expect(composeProblems(open)).toEqual([
      'nats: port 4222:4222 is published on all interfaces',
      'executor: mounts more than its own seed',
      'search: no NATS credentials (HYPOTREE_NKEY_FILE)',
      'nats runs without the auth config',
    ]);
  });

  it('kubernetes: kustomize renders every object with the keys deploy/keys.mjs writes, the image set in one place, each pod its own seed, analytics, no public Service', async () => {
    fs.cpSync(path.resolve('deploy/k8s'), path.join(dir, 'k8s'), { recursive: true, filter: (source) => !source.includes(`${path.sep}keys`) });
    await execa('node', ['deploy/keys.mjs', path.join(dir, 'k8s', 'keys')]);
    expect(fs.readdirSync(path.join(dir, 'k8s', 'keys')).sort()).toEqual([...KEY_FILES].sort());
    const rendered = await execa('kubectl', ['kustomize', path.join(dir, 'k8s')]);
    const docs = yaml.loadAll(rendered.stdout) as Doc[];
    // The Secret's name ends in a hash of its content (kustomize rewrites every reference to it).
    expect(docs.map((d) => `${d.kind}/${String(d.metadata.name).replace(/^(hypotree-nats-keys-)\w+$/, '$1<hash>')}`).sort()).toEqual(
      [
        'ConfigMap/hypotree', 'Deployment/hypotree-analytics', 'Deployment/hypotree-distiller', 'Deployment/hypotree-executor', 'Job/hypotree-search-spirals',
        'Namespace/hypotree', 'PersistentVolumeClaim/hypotree-tasks', 'PersistentVolumeClaim/hypotree-work', 'Service/eventstore', 'Service/hypotree-analytics',
        'Service/nats', 'StatefulSet/eventstore', 'StatefulSet/nats', 'Secret/hypotree-nats-keys-<hash>',
      ].sort(),
    );
    expect(manifestProblems(docs)).toEqual([]);
    const secret = docs.find((d) => d.kind === 'Secret')!;
    expect(Object.keys(secret.data).sort()).toEqual(['coordinator.nk', 'distiller.nk', 'executor.nk', 'nats-auth.conf', 'trust.json']);

    // The checks catch each protection removed.
    const open = structuredClone(docs);
    const executor = open.find((d) => d.metadata.name === 'hypotree-executor')!;
    executor.spec.template.spec.volumes.find((v: Doc) => v.secret).secret.items.push({ key: 'coordinator.nk', path: 'coordinator.nk' });
    open.find((d) => d.kind === 'Service' && d.metadata.name === 'nats')!.spec.type = 'LoadBalancer';
    open.find((d) => d.metadata.name === 'hypotree-distiller')!.spec.template.spec.containers[0].image = 'hypotree:latest';
    expect(manifestProblems(open)).toEqual([
      'Service/nats: exposed outside the cluster (LoadBalancer)',
      'Deployment/hypotree-distiller: image hypotree:latest (kustomize images: did not apply)',
      'Deployment/hypotree-executor: mounts 2 seeds, not its own one',
    ]);
  });

  it('keys.mjs refuses to overwrite seeds, and bad executor names, each in one line', async () => {
    const keys = path.join(dir, 'again');
    await execa('node', ['deploy/keys.mjs', keys, '--executors', 'gpu,cpu']);
    expect(JSON.parse(fs.readFileSync(path.join(keys, 'trust.json'), 'utf8')).executors).toEqual({ gpu: expect.stringMatching(/^U/), cpu: expect.stringMatching(/^U/) });
    const again = await execa('node', ['deploy/keys.mjs', keys], { reject: false });
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/coordinator\.nk.* exist; pass --force to replace them/);
    const bad = await execa('node', ['deploy/keys.mjs', path.join(dir, 'bad'), '--executors', 'ok,coordinator,no/slash'], { reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('keys: executor names must be letters, digits, - and _, and not a role\'s name: coordinator, no/slash');
  });
});
