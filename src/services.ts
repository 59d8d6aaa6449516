import { createHmac } from 'node:crypto';
import { auditPairingNotices } from './audit/pairing-events.ts';
import { AuditService } from './audit/service.ts';
import { DeviceKeyService } from './credentials/device-keys.ts';
import { HandshakeGuard } from './credentials/handshake-guard.ts';
import { GrantService } from './grants/service.ts';
import { HomeService } from './homes/service.ts';
import { PairingBudget } from './pairing/budget.ts';
import { PairingService } from './pairing/service.ts';
import type { HomeEvents } from './ports.ts';
import { RateLimiter } from './rate-limiter.ts';
import type { Deps, Services } from './deps.ts';
import { TokenService } from './tokens/service.ts';

export type { Deps, Services } from './deps.ts';

/** Wires the domain services; `events` is the realtime layer seen through its port. */
export function buildServices(deps: Deps, events: HomeEvents): Services {
  const { config, store, clock, logger, metrics } = deps;
  const homes = new HomeService({ store, clock });
  const tokens = new TokenService({ config, store, clock }, deps.jwtSecret);
  const audit = new AuditService({
    backend: store.audit,
    clock,
    logger,
    retentionMs: config.auditRetentionMs,
    onEntry: (serial, entry) => events.toKiosks(serial, 'audit:entry', entry),
  });
  const grants = new GrantService({ store, clock, logger, events, tokens, audit });
  const codeKey = createHmac('sha256', deps.jwtSecret).update('home-relay pairing codes v1').digest();
  // Minute windows are worthless after a restart: count them in the ephemeral space (no disk write per request).
  const rateLimiter = new RateLimiter({ store: store.ephemeral, clock, enabled: config.rateLimits.enabled });
  // Burns, locks and unlocks told to kiosks are audit entries too, from the service and its budget alike.
  const pairingEvents = auditPairingNotices(events, audit);
  // Per-home rules stay with RATE_LIMITS=off; their failure counts and locks are durable (PairingBudget).
  const pairingBudget = new PairingBudget({
    config,
    store,
    clock,
    logger,
    events: pairingEvents,
    homeLimiter: new RateLimiter({ store: store.ephemeral, clock, enabled: true }),
    onLock: (serial) => pairing.withdrawCode(serial),
  });
  const pairing: PairingService = new PairingService({
    config,
    store,
    clock,
    logger,
    events: pairingEvents,
    homes,
    grants,
    budget: pairingBudget,
    codeKey,
    onOutcome: metrics.countPairing,
  });
  const deviceKeys = new DeviceKeyService({ store, clock });
  const handshakes = new HandshakeGuard({
    store: store.ephemeral,
    clock,
    logger,
    enabled: config.rateLimits.enabled,
    perMinute: config.rateLimits.handshakeFailuresPerMinute,
  });
  return { audit, homes, tokens, grants, pairing, pairingBudget, rateLimiter, deviceKeys, handshakes };
}
