import type { Clock } from '../clock.ts';
import type { DeviceAccess } from '../devices/types.ts';
import { AppError } from '../errors.ts';
import type { KeyValueStore } from '../store/types.ts';
import { allowsAction, type GuestTerms, seesDevice } from './terms.ts';
import { keys } from '../store/keys.ts';

/** Kept a day past notAfter, so "uses" stays readable in the grants list until the grant is long gone. */
const USES_GRACE_MS = 86_400_000;

export const usesKeyOf = keys.guestUses;

/** The device limits of one guest grant, asked by the device service for REST and sockets alike. */
export function guestAccess(grantId: string, terms: GuestTerms, deps: { store: KeyValueStore; clock: Clock }): DeviceAccess {
  const notBefore = terms.notBefore ? Date.parse(terms.notBefore) : 0;
  // Before notBefore the grant exists but sees nothing, as if no device were shared yet.
  const started = () => deps.clock.now() >= notBefore;
  const usesExpiry = Date.parse(terms.notAfter) + USES_GRACE_MS;
  return {
    sees: (id) => started() && seesDevice(terms.scope, id),
    allows: (id, action) => started() && allowsAction(terms.scope, id, action),
    async spendUse() {
      // Counted for every guest (the grants list shows `uses`), and only when a command is left:
      // a refused attempt spends nothing, so `uses` never passes `maxUses`.
      const { maxUses } = terms;
      const spent = await deps.store.update<number, boolean>(usesKeyOf(grantId), (used) =>
        maxUses !== undefined && (used ?? 0) >= maxUses ? { result: false } : { next: (used ?? 0) + 1, expiresAt: usesExpiry, result: true },
      );
      if (!spent) throw new AppError('insufficient_scope', `This guest grant has used all ${maxUses} of its commands.`);
    },
    async refundUse() {
      await deps.store.update<number, null>(usesKeyOf(grantId), (used) => (used ? { next: used - 1, result: null } : { result: null }));
    },
  };
}

/** Commands the guest grant has sent so far (against maxUses, when it has one). */
export async function usesOf(store: KeyValueStore, grantId: string): Promise<number> {
  return (await store.get<number>(usesKeyOf(grantId))) ?? 0;
}
