import { isoAt } from '../clock.ts';
import type { Clock } from '../clock.ts';
import { idempotencyPrefix } from '../devices/idempotency.ts';
import { homeDeviceKeys } from '../devices/registry.ts';
import { qrSessionPrefix } from '../qr/service.ts';
import type { Store } from '../store/types.ts';

export interface Forgotten {
  grants: number;
  devices: number;
  deviceKeys: number;
  records: number;
}

/**
 * Everything a home owns, gone: the home record first (so nothing new can be paired or
 * authenticated while the rest goes), then its grants revoked, its devices, device keys,
 * idempotency records and approved QR sessions deleted. Runs in the CLI as well as a server, so
 * it touches only the store; live sockets follow the `removed` change each server watches.
 */
export async function forgetHome(store: Store, clock: Clock, serial: string): Promise<Forgotten | null> {
  const grants = await store.listGrants(serial);
  if (!(await store.removeHome(serial))) return null;
  const now = isoAt(clock.now());
  for (const grant of grants) await store.revokeGrant(grant.id, now);

  // The idempotency scopes the device routes and socket handlers use: each grant's, and the kiosks' of the home.
  const prefixes = [homeDeviceKeys.recordPrefix(serial), idempotencyPrefix(`kiosk:${serial}`), ...grants.map((g) => idempotencyPrefix(`grant:${g.id}`))];
  let records = 0;
  let devices = 0;
  for (const prefix of prefixes) {
    for (const key of await store.keysWithPrefix(prefix)) {
      if (await store.del(key)) prefix === prefixes[0] ? devices++ : records++;
    }
  }
  await store.del(homeDeviceKeys.index(serial));
  records += await forgetQrSessions(store, serial);
  const deviceKeys = await store.deleteDeviceKeys(serial);
  return { grants: grants.length, devices, deviceKeys, records };
}

/** QR sessions are keyed by their secret id, not by home: the ones a phone of this home looked at or approved. */
async function forgetQrSessions(store: Store, serial: string): Promise<number> {
  let n = 0;
  for (const key of await store.keysWithPrefix(qrSessionPrefix)) {
    const session = await store.get<{ scannedBy?: { serial?: string } }>(key);
    if (session?.scannedBy?.serial === serial && (await store.del(key))) n++;
  }
  return n;
}
