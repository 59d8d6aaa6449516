import { type AuditChannel, grantActor, kioskOrigin } from '../audit/types.ts';
import type { Principal } from '../grants/service.ts';
import type { CommandActor } from './types.ts';

/** A grant commanding its home: its idempotency scope, its name in the audit log, a guest's limits. */
export const grantCommander = (principal: Principal, channel: AuditChannel): CommandActor => ({
  serial: principal.grant.serial,
  scope: `grant:${principal.grant.id}`,
  origin: { actor: grantActor(principal.grant), channel },
  access: principal.access,
});

/** A kiosk of the home: full access, named "kiosk" in the audit log. */
export const kioskCommander = (serial: string): CommandActor => ({ serial, scope: `kiosk:${serial}`, origin: kioskOrigin });
