import type { Signers } from './envelope.js';
import { executorOfKey, type TrustList } from './identity.js';

/** Who may sign for each role, by the trust list: an executor's key goes by its executor id. */
export function signersOf(trust: TrustList): Record<'coordinator' | 'executor' | 'distiller', Signers> {
  const member = (role: string, keys: string[]) => ({ role, nameOf: (key: string) => (keys.includes(key) ? `${role}-${keys.indexOf(key) + 1}` : undefined) });
  return {
    coordinator: member('coordinator', trust.coordinator),
    executor: { role: 'executor', nameOf: (key) => executorOfKey(trust, key) },
    distiller: member('distiller', trust.distillers),
  };
}
