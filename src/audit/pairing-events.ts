import type { HomeEvents } from '../ports.ts';
import type { AuditService } from './service.ts';
import { type AuditOrigin, kioskOrigin, systemOrigin } from './types.ts';

/**
 * Kiosk notices of the pairing service that are also audit entries: the entry's event name and who
 * acted. Burns and locks are the relay's own doing; only a kiosk's `pairing:unlock` lifts a lock.
 */
const audited: Record<string, { event: string; origin: AuditOrigin }> = {
  'pairing:burned': { event: 'pairing.burned', origin: systemOrigin },
  'pairing:locked': { event: 'pairing.locked', origin: systemOrigin },
  'pairing:unlocked': { event: 'pairing.unlocked', origin: kioskOrigin },
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
      const entry = audited[event];
      if (entry) audit.record(serial, { ...entry.origin, event: entry.event, outcome: 'ok' });
    },
  };
}
