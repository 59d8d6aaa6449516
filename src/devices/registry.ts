import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Store } from '../store/types.ts';
import type { DeviceDescriptor, DeviceRecord, DeviceState } from './types.ts';
import { keys } from '../store/keys.ts';

/**
 * Records never expire in the store by themselves: offline devices are forgotten by the prune
 * sweep after DEVICE_RETENTION (service.ts), which tells the home and the audit log. A store
 * expiry would drop them silently while no relay was running.
 */
const KEPT_MS = 100 * 365 * 24 * 3600_000;

/** One device connection: which socket (or bridge link) the registry may take offline. */
export interface DeviceConnection {
  serial: string;
  deviceId: string;
  connectionId: string;
}

export interface RegistryLimits {
  maxPerHome: number;
}

const indexKey = keys.deviceIndex;
const recordKey = keys.deviceRecord;
/** What a home owns in the key/value space here: `relay homes remove` forgets it. */
export const homeDeviceKeys = { index: indexKey, recordPrefix: (serial: string) => recordKey(serial, '') };

/**
 * The device registry on the Store's key/value API (a per-home index plus one record per device),
 * so every instance sees the same list once the store is shared. Each change is one atomic update.
 */
export class DeviceRegistry {
  constructor(private readonly deps: { store: Store; clock: Clock; limits: RegistryLimits }) {}

  /** Whether `id` may register: it is known already, or the home is below MAX_DEVICES_PER_HOME. */
  async hasRoomFor(serial: string, id: string): Promise<boolean> {
    const ids = (await this.deps.store.get<string[]>(indexKey(serial))) ?? [];
    return ids.includes(id) || ids.length < this.deps.limits.maxPerHome;
  }

  /** The device's id and record are gone; returns the record that was there. */
  async remove(serial: string, id: string): Promise<DeviceRecord | null> {
    const record = await this.get(serial, id);
    await this.dropFromIndex(serial, [id]);
    if (!record || !(await this.deps.store.del(recordKey(serial, id)))) return null;
    return record;
  }

  /** Ids in the index whose record is gone (deleted by an older relay's expiry, or a half-done removal). */
  async dropFromIndex(serial: string, gone: string[]): Promise<void> {
    if (gone.length === 0) return;
    await this.deps.store.update<string[], void>(indexKey(serial), (ids) => (ids ? { next: ids.filter((i) => !gone.includes(i)), result: undefined } : { result: undefined }));
  }

  /** Every id of the home with its record (null when the record is gone). */
  async entries(serial: string): Promise<[string, DeviceRecord | null][]> {
    const ids = (await this.deps.store.get<string[]>(indexKey(serial))) ?? [];
    return Promise.all(ids.map(async (id) => [id, await this.get(serial, id)] as [string, DeviceRecord | null]));
  }

  async list(serial: string): Promise<DeviceRecord[]> {
    const ids = (await this.deps.store.get<string[]>(indexKey(serial))) ?? [];
    const records = await Promise.all(ids.map((id) => this.get(serial, id)));
    return records.filter((r): r is DeviceRecord => r !== null);
  }

  get(serial: string, id: string): Promise<DeviceRecord | null> {
    return this.deps.store.get<DeviceRecord>(recordKey(serial, id));
  }

  /** A socket of the device connected: it becomes the device's current connection. */
  async connect(serial: string, descriptor: DeviceDescriptor, connectionId: string): Promise<DeviceRecord> {
    const { store } = this.deps;
    const now = this.deps.clock.now();
    const expiresAt = now + KEPT_MS;
    const { maxPerHome } = this.deps.limits;
    // Checked again inside the atomic update: racing handshakes cannot push a home past its cap.
    const admitted = await store.update<string[], boolean>(indexKey(serial), (ids) => {
      if (ids?.includes(descriptor.id)) return { next: ids, expiresAt, result: true };
      if ((ids?.length ?? 0) >= maxPerHome) return { result: false };
      return { next: [...(ids ?? []), descriptor.id], expiresAt, result: true };
    });
    if (!admitted) throw new AppError('too_many_devices');
    const record: DeviceRecord = { ...descriptor, online: true, updatedAt: isoAt(now), connectionId };
    await store.set(recordKey(serial, descriptor.id), record, expiresAt);
    return record;
  }

  /**
   * Marks the device offline if `connectionId` is still its current connection; a replaced socket
   * going away changes nothing. Returns the record when it changed.
   */
  async markOffline(serial: string, id: string, connectionId: string): Promise<DeviceRecord | null> {
    const [changed] = await this.markOfflineMany([{ serial, deviceId: id, connectionId }]);
    return changed?.record ?? null;
  }

  /**
   * `markOffline` for many connections in one store operation (a stopping instance's devices).
   * Each is a compare-and-set on its connection id, so a device that has reconnected meanwhile, on
   * this or another instance, stays online. Returns the connections whose record changed.
   */
  async markOfflineMany<C extends DeviceConnection>(connections: readonly C[]): Promise<{ connection: C; record: DeviceRecord }[]> {
    const now = this.deps.clock.now();
    // A device replaced on this instance can be here twice (old and new socket): whichever is current counts.
    const byKey = new Map<string, C[]>();
    for (const c of connections) {
      const key = recordKey(c.serial, c.deviceId);
      const held = byKey.get(key);
      if (held) held.push(c);
      else byKey.set(key, [c]);
    }
    const changed = await this.deps.store.updateMany<DeviceRecord, { connection: C; record: DeviceRecord } | null>([...byKey.keys()], (current, key) => {
      const connection = current?.online ? byKey.get(key)?.find((c) => c.connectionId === current.connectionId) : undefined;
      if (!current || !connection) return { result: null };
      const next: DeviceRecord = { ...current, online: false, connectionId: null, updatedAt: isoAt(now) };
      return { next, expiresAt: now + KEPT_MS, result: { connection, record: next } };
    });
    return changed.filter((c) => c !== null);
  }

  /**
   * The device reported a new state (the whole state: devices are authoritative for it), at `at`
   * (default now: a coalesced state keeps the time it was reported).
   */
  setState(serial: string, id: string, state: DeviceState, at?: number): Promise<DeviceRecord | null> {
    const now = at ?? this.deps.clock.now();
    return this.deps.store.update<DeviceRecord, DeviceRecord | null>(recordKey(serial, id), (current) => {
      if (!current) return { result: null };
      const next: DeviceRecord = { ...current, state, updatedAt: isoAt(now) };
      return { next, expiresAt: now + KEPT_MS, result: next };
    });
  }
}
