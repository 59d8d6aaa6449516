import { forgetBridge } from '../bridges/mqtt/settings.ts';
import { isoAt } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { idempotencyPrefix } from '../devices/idempotency.ts';
import { homeDeviceKeys } from '../devices/registry.ts';
import { budgetKeyOf, CODE_REQUESTS_BUCKET } from '../pairing/budget.ts';
import { rateLimitPrefix } from '../rate-limiter.ts';
import { qrSessionPrefix } from '../qr/service.ts';
import { keys } from '../store/keys.ts';
import type { KeyValueStore, Store } from '../store/types.ts';

export interface Forgotten {
  grants: number;
  devices: number;
  deviceKeys: number;
  records: number;
}

/**
 * Everything a home owns, gone: the home record first (so nothing new can be paired or
 * authenticated while the rest goes), then its grants revoked, its devices, device keys,
 * idempotency records, approved QR sessions and pairing locks deleted. Runs in the CLI as well as a server, so
 * it touches only the store; live sockets follow the `removed` change each server watches.
 */
export async function forgetHome(store: Store, clock: Clock, serial: string): Promise<Forgotten | null> {
  const grants = await store.listGrants(serial);
  if (!(await store.removeHome(serial))) return null;
  const now = isoAt(clock.now());
  for (const grant of grants) await store.revokeGrant(grant.id, now);

  const devices = await forgetDevices(store, serial);
  // The idempotency scopes the device routes and socket handlers use: each grant's, and the kiosks' of the home.
  let records = await deleteWithPrefixes(store, [idempotencyPrefix(`kiosk:${serial}`), ...grants.map((g) => idempotencyPrefix(`grant:${g.id}`))]);
  records += await forgetQrSessions(store, serial);
  records += await forgetPairingBudget(store, serial);
  const deviceKeys = await store.deleteDeviceKeys(serial);
  // A serial added again later must not start bridging the old home's broker.
  await forgetBridge(store, serial);
  return { grants: grants.length, devices, deviceKeys, records };
}

/**
 * The home's device registry. Also run by each server once it dropped a removed home's device
 * sockets: a device that registered in the instant between the check and the purge leaves nothing.
 */
export async function forgetDevices(store: Store, serial: string): Promise<number> {
  const devices = await deleteWithPrefixes(store, [homeDeviceKeys.recordPrefix(serial)]);
  await store.del(homeDeviceKeys.index(serial));
  return devices;
}

async function deleteWithPrefixes(store: Store, prefixes: string[]): Promise<number> {
  let n = 0;
  for (const prefix of prefixes) for (const key of await store.keysWithPrefix(prefix)) if (await store.del(key)) n++;
  return n;
}

/**
 * QR sessions are keyed by their secret id, not by home: the ones a phone of this home looked at or
 * approved. They live in the store's ephemeral space (the server's memory on SQLite, where a CLI
 * process cannot reach them; delivery re-checks the approver's home and grant before minting).
 */
async function forgetQrSessions(store: Store, serial: string): Promise<number> {
  const space = store.ephemeral as KeyValueStore & Partial<Pick<Store, 'keysWithPrefix'>>;
  if (!space.keysWithPrefix) return 0;
  let n = 0;
  for (const key of await space.keysWithPrefix(qrSessionPrefix)) {
    const session = await space.get<{ scannedBy?: { serial?: string } }>(key);
    if (session?.scannedBy?.serial === serial && (await space.del(key))) n++;
  }
  return n;
}

/** A new home under the old serial starts unlocked, with a clean failure record and request count. */
async function forgetPairingBudget(store: Store, serial: string): Promise<number> {
  const n = (await store.del(budgetKeyOf(serial))) ? 1 : 0;
  // Which HUB_KEY was applied belongs to the home too: a serial added again starts without it.
  await store.del(keys.hubKeyFromEnv(serial));
  const space = store.ephemeral as KeyValueStore & Partial<Pick<Store, 'keysWithPrefix'>>;
  if (space.keysWithPrefix) for (const key of await space.keysWithPrefix(rateLimitPrefix(CODE_REQUESTS_BUCKET, serial))) await space.del(key);
  return n;
}
