import type { InboundPolicy } from '../nats/deserializer.js';
import { Patterns } from '../contracts.js';
import type { BusSecurity } from './identity.js';
import type { DispatchLedger, ReportClaim } from './ledger.js';
import { signersOf } from './signers.js';

const REPORT_KINDS: Record<string, 'started' | 'heartbeat' | 'result'> = {
  [Patterns.experimentStarted]: 'started',
  [Patterns.experimentHeartbeat]: 'heartbeat',
  [Patterns.experimentResult]: 'result',
};

/**
 * What the coordinator accepts on a secured bus: executor reports signed by the key of the
 * executor they name, echoing the nonce of a dispatch this coordinator issued and that executor
 * took, and no report after its dispatch's result (a replay).
 */
export function reportPolicy(security: BusSecurity, ledger: DispatchLedger): InboundPolicy {
  const executor = signersOf(security.trust).executor;
  return {
    signers: Object.fromEntries(Object.keys(REPORT_KINDS).map((subject) => [subject, executor])),
    admit(subject, message, signer) {
      const claim = message as Partial<ReportClaim> | null;
      if (typeof claim !== 'object' || claim === null || [claim.searchId, claim.experimentId, claim.nodeId, claim.executorId].some((v) => typeof v !== 'string')) {
        return 'not a report (searchId, experimentId, nodeId and executorId are required)';
      }
      return ledger.admit(REPORT_KINDS[subject]!, claim as ReportClaim, signer);
    },
  };
}

