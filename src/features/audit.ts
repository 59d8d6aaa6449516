import type { FeatureFactory } from '../feature.ts';
import { auditRoutes } from '../http/audit-routes.ts';
import { onAck } from '../realtime/ack.ts';
import { auditQuery } from '../audit/schemas.ts';

/** Pruning runs this often; AUDIT_RETENTION is days, so an hour's lag is nothing. */
const PRUNE_EVERY_MS = 3600_000;

/** The audit log's transports: `GET /api/v1/audit`, kiosk `audit:list` (entries arrive live as `audit:entry`), pruning. */
export const auditFeature: FeatureFactory = ({ deps, services }) => {
  const { audit, grants } = services;
  const prune = () =>
    void audit
      .prune()
      .then((n) => n && deps.logger.info({ pruned: n }, 'old audit entries pruned'))
      .catch((err: unknown) => deps.logger.warn({ err }, 'audit pruning failed'));
  // Real time on purpose: prune() compares entries against the clock, the timer only says how often to look.
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  timer.unref();
  prune();
  return {
    name: 'audit',
    routes: () => auditRoutes(audit, grants),
    kiosk: (socket, serial) => {
      onAck(socket, deps.logger, 'audit:list', auditQuery, ({ after, limit, last }) =>
        last === undefined ? audit.list(serial, after, limit) : audit.latest(serial, last),
      );
    },
    close: async () => {
      clearInterval(timer);
      await audit.settled();
    },
  };
};
