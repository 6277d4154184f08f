import fs from 'node:fs';
import path from 'node:path';
import { createUserKey } from './identity.js';
import { natsAuthConfig, permissionsBlock, ROLE_PERMISSIONS, type BusRole } from './nats-config.js';

const ROLES = Object.keys(ROLE_PERMISSIONS) as BusRole[];

describe('the NATS permissions of each role', () => {
  it('are the ones the test server runs with (test/support/nats-secured.conf), block for block', () => {
    const testConfig = fs.readFileSync(path.resolve('test/support/nats-secured.conf'), 'utf8');
    for (const role of ROLES) expect(testConfig).toContain(permissionsBlock(role));
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
    expect(config).toContain(`{ nkey: ${executor}, permissions: $EXECUTOR }  # executors`);
    expect(config.match(/\{ nkey: /g)).toHaveLength(2);
    // Only the blocks of roles present (nats-server refuses an unused variable).
    expect(config).toContain(permissionsBlock('executor'));
    expect(config).not.toMatch(/DISTILLER|ANALYTICS/);
    expect(config).not.toMatch(/no_auth_user|password/);
  });
});
