import fs from 'node:fs';
import path from 'node:path';
import { createUserKey } from './identity.js';
import { executorPermissions, natsAuthConfig, permissionsBlock, ROLE_PERMISSIONS, type BusRole } from './nats-config.js';

const ROLES = Object.keys(ROLE_PERMISSIONS) as BusRole[];

describe('the NATS permissions of each role', () => {
  it('are the ones the test server runs with (test/support/nats-secured.conf), block for block', () => {
    const testConfig = fs.readFileSync(path.resolve('test/support/nats-secured.conf'), 'utf8');
    for (const role of ROLES.filter((r) => r !== 'executor')) expect(testConfig).toContain(permissionsBlock(role));
    expect(testConfig).toContain(permissionsBlock('executor', 'EXECUTOR_A', executorPermissions('exA')));
    expect(testConfig).toContain(permissionsBlock('executor', 'EXECUTOR_B', executorPermissions('exB')));
  });

  it('let each executor key hear its own reply subjects (where pulled dispatches arrive) and no other', () => {
    expect(executorPermissions('gpu').subscribe).toContain('_INBOX_gpu.>');
    expect(executorPermissions('gpu').subscribe).not.toContain('_INBOX_cpu.>');
    for (const role of ROLES) expect(ROLE_PERMISSIONS[role].subscribe.filter((s) => s.startsWith('_INBOX_'))).toEqual([]);
    // The shared inbox space is the coordinator's alone; executors pull with their own prefix.
    expect(ROLES.filter((role) => ROLE_PERMISSIONS[role].subscribe.includes('_INBOX.>'))).toEqual(['coordinator']);
  });

  it('give the work queue to the coordinator (publish, set up) and only pulls and acks to executors', () => {
    const may = (role: BusRole, subject: string) => { const p = ROLE_PERMISSIONS[role].publish; return Array.isArray(p) && p.includes(subject); };
    expect(ROLES.filter((role) => may(role, 'hypotree.work.dispatch.>'))).toEqual(['coordinator']);
    expect(ROLES.filter((role) => may(role, '$JS.API.CONSUMER.MSG.NEXT.HYPOTREE_DISPATCH.hypotree-executors'))).toEqual(['executor']);
    expect(ROLES.filter((role) => may(role, '$JS.API.STREAM.UPDATE.HYPOTREE_DISPATCH'))).toEqual(['coordinator']);
    // Nobody purges the work queue (a filtered purge skips other subjects' waiting dispatches on nats-server 2.9).
    expect(ROLES.filter((role) => may(role, '$JS.API.STREAM.PURGE.HYPOTREE_DISPATCH'))).toEqual([]);
    // No role may delete a stream, or a consumer but the object store's own short-lived readers.
    for (const role of ROLES) {
      const p = ROLE_PERMISSIONS[role].publish;
      if (Array.isArray(p)) expect(p.filter((s) => /STREAM\.DELETE|CONSUMER\.DELETE\.(?!OBJ_hypotree-artifacts\.)|\$JS\.API\.>/.test(s))).toEqual([]);
    }
    // Only the coordinator creates the object store; both sides read and write its objects.
    expect(ROLES.filter((role) => may(role, '$JS.API.STREAM.CREATE.OBJ_hypotree-artifacts'))).toEqual(['coordinator']);
    expect(ROLES.filter((role) => may(role, '$O.hypotree-artifacts.>'))).toEqual(['coordinator', 'executor']);
  });

  it('give no role but the coordinator a dispatch, and none but the executors a report', () => {
    const publishers = (subject: string) => ROLES.filter((role) => { const p = ROLE_PERMISSIONS[role].publish; return Array.isArray(p) && p.includes(subject); });
    expect(publishers('hypotree.experiment.dispatch')).toEqual(['coordinator']);
    expect(publishers('hypotree.insight.distill')).toEqual(['coordinator']);
    expect(publishers('hypotree.experiment.result')).toEqual(['executor']);
    expect(ROLES.filter((role) => ROLE_PERMISSIONS[role].allow_responses)).toEqual(['distiller']);
  });

  it('writes one nkey user per key with its role, and no user without a key', () => {
    const coordinator = createUserKey().publicKey;
    const executor = createUserKey().publicKey;
    const config = natsAuthConfig([{ role: 'coordinator', publicKey: coordinator, name: 'coordinator' }, { role: 'executor', publicKey: executor, name: 'executors' }]);
    expect(config).toContain(`{ nkey: ${coordinator}, permissions: $COORDINATOR }  # coordinator`);
    expect(config).toContain(`{ nkey: ${executor}, permissions: $EXECUTOR_1 }  # executors`);
    expect(config.match(/\{ nkey: /g)).toHaveLength(2);
    // Only the blocks of roles present (nats-server refuses an unused variable); each executor key its own.
    expect(config).toContain(permissionsBlock('executor', 'EXECUTOR_1', executorPermissions('executors')));
    expect(config).not.toMatch(/DISTILLER|ANALYTICS/);
    expect(config).not.toMatch(/no_auth_user|password/);
  });
});
