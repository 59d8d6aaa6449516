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
  return {
    sees: (id) => started() && seesDevice(terms.scope, id),
    allows: (id, action) => started() && allowsAction(terms.scope, id, action),
    async spendUse() {
      if (terms.maxUses === undefined) return;
      const used = await deps.store.incr(usesKeyOf(grantId), Date.parse(terms.notAfter) + USES_GRACE_MS);
      if (used > terms.maxUses) throw new AppError('insufficient_scope', `This guest grant has used all ${terms.maxUses} of its commands.`);
    },
  };
}

/** Commands counted against maxUses so far (0 when none or no limit). */
export async function usesOf(store: KeyValueStore, grantId: string): Promise<number> {
  return (await store.get<number>(usesKeyOf(grantId))) ?? 0;
}
