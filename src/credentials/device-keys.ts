import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import { digestsEqual, randomId, sha256Hex } from '../crypto.ts';
import { deviceIdSchema } from '../devices/schemas.ts';
import { AppError } from '../errors.ts';
import type { HomeRecord, Store } from '../store/types.ts';

/** What a socket presented, kept only as a hash so a live socket can be checked again later. */
export type PresentedCredential = { kind: 'hub-key' | 'device-key'; hash: string };

export type DeviceAuthOutcome = 'ok' | 'home_not_found' | 'invalid_hub_key' | 'invalid_device_key';

/** Compared against when nothing is stored, so an unknown deviceId costs what a known one does. */
const NO_KEY = sha256Hex('no device key');

/**
 * Device keys: one per deviceId of a home, 192 random bits, stored only as SHA-256 (a key of
 * that strength needs no slow hash), compared in constant time. Once a deviceId has a key, only
 * that key opens `/device` for it; with the home's device auth `keys`, the hub key opens nothing there.
 */
export class DeviceKeyService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  /**
   * Issues the key of `deviceId`; the key is returned once and never stored. `replace: false` (a
   * kiosk) refuses a deviceId that has a key already: whoever holds the hub key could otherwise
   * re-enrol the front door and take it over. The operator's CLI and the relay itself may replace.
   */
  async issue(serial: string, deviceId: string, options: { replace: boolean } = { replace: true }): Promise<string> {
    const { store, clock } = this.deps;
    if (!deviceIdSchema.safeParse(deviceId).success) throw new AppError('invalid_request', 'A deviceId is 1-64 letters, digits, ".", "_", ":" or "-".');
    if (!(await store.getHome(serial))) throw new AppError('home_not_found', `No home with serial "${serial}".`);
    const deviceKey = newDeviceKey();
    const replaced = (await store.getDeviceKey(serial, deviceId)) !== null;
    if (replaced && !options.replace) throw new AppError('device_enrolled');
    await store.putDeviceKey({ serial, deviceId, keyHash: sha256Hex(deviceKey), createdAt: isoAt(clock.now()) });
    // A socket still connected as this deviceId on the key just replaced, or on the hub key (which a
    // key now shuts out), must go, here and on every instance: else a takeover made before the
    // enrolment would keep answering the device's commands.
    await store.announceHomeChange({ serial, kind: 'device-key' });
    return deviceKey;
  }

  /** Forgets the key of one device (a removed device); a socket on it is disconnected. */
  async revoke(serial: string, deviceId: string): Promise<boolean> {
    const removed = await this.deps.store.deleteDeviceKey(serial, deviceId);
    if (removed) await this.deps.store.announceHomeChange({ serial, kind: 'device-key' });
    return removed;
  }

  /** May this credential open `/device` as `deviceId` of `serial`? Used at handshake and on every home change. */
  async authorize(serial: string, deviceId: string, presented: PresentedCredential): Promise<DeviceAuthOutcome> {
    const { store } = this.deps;
    const [home, stored] = await Promise.all([store.getHome(serial), store.getDeviceKey(serial, deviceId)]);
    if (!home) return 'home_not_found';
    if (presented.kind === 'device-key') return digestsEqual(stored?.keyHash ?? NO_KEY, presented.hash) && stored ? 'ok' : 'invalid_device_key';
    if (!hubKeyMatches(home, presented.hash)) return 'invalid_hub_key';
    // The right hub key, but this device (or every device of the home) must show its own key.
    if (stored || home.deviceAuth === 'keys') return 'invalid_device_key';
    return 'ok';
  }
}

export const hubKeyMatches = (home: HomeRecord, hash: string): boolean => digestsEqual(home.hubKeyHash, hash);

export const newDeviceKey = (): string => randomId(24);

/** A handshake's key as the hash that is compared and kept; the key itself is dropped at once. */
export const presented = (kind: PresentedCredential['kind'], key: string): PresentedCredential => ({ kind, hash: sha256Hex(key) });
