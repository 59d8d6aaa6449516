import type { HomeEvents } from '../ports.ts';
import type { AuditService } from './service.ts';
import { systemOrigin } from './types.ts';

/** Kiosk notices of the pairing service that are also audit entries, by the entry's event name. */
const audited: Record<string, string> = {
  'pairing:burned': 'pairing.burned',
  'pairing:locked': 'pairing.locked',
  'pairing:unlocked': 'pairing.unlocked',
};

/**
 * The pairing service tells kiosks when a code is burned or pairing locks; the same notices are
 * written to the audit log here, so the pairing rules (owned elsewhere) need no audit calls.
 * A successful pairing is recorded where its grant is made.
 */
export function auditPairingNotices(events: HomeEvents, audit: AuditService): HomeEvents {
  return {
    kioskCount: (serial) => events.kioskCount(serial),
    toHome: (serial, event, payload, options) => events.toHome(serial, event, payload, options),
    endGrantSessions: (grantId) => events.endGrantSessions(grantId),
    toKiosks(serial, event, payload) {
      events.toKiosks(serial, event, payload);
      const name = audited[event];
      if (name) audit.record(serial, { ...systemOrigin, event: name, outcome: 'ok' });
    },
  };
}
