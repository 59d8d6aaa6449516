import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Store } from '../store/types.ts';
import type { DeviceDescriptor, DeviceRecord, DeviceState } from './types.ts';

/**
 * Devices are remembered while they keep talking; a device silent for this long is forgotten.
 * Every write pushes the expiry forward, so a live home never loses its list.
 */
const RETENTION_MS = 365 * 24 * 3600_000;

const indexKey = (serial: string) => `devices:index:${serial}`;
const recordKey = (serial: string, id: string) => `devices:record:${serial}:${id}`;
/** What a home owns in the key/value space here: `relay homes remove` forgets it. */
export const homeDeviceKeys = { index: indexKey, recordPrefix: (serial: string) => recordKey(serial, '') };

/**
 * The device registry on the Store's key/value API (a per-home index plus one record per device),
 * so every instance sees the same list once the store is shared. Each change is one atomic update.
 */
export class DeviceRegistry {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

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
    const expiresAt = now + RETENTION_MS;
    await store.update<string[], void>(indexKey(serial), (ids) => ({
      next: ids?.includes(descriptor.id) ? ids : [...(ids ?? []), descriptor.id],
      expiresAt,
      result: undefined,
    }));
    const record: DeviceRecord = { ...descriptor, online: true, updatedAt: isoAt(now), connectionId };
    await store.set(recordKey(serial, descriptor.id), record, expiresAt);
    return record;
  }

  /**
   * Marks the device offline if `connectionId` is still its current connection; a replaced socket
   * going away changes nothing. Returns the record when it changed.
   */
  markOffline(serial: string, id: string, connectionId: string): Promise<DeviceRecord | null> {
    const now = this.deps.clock.now();
    return this.deps.store.update<DeviceRecord, DeviceRecord | null>(recordKey(serial, id), (current) => {
      if (!current || !current.online || current.connectionId !== connectionId) return { result: null };
      const next: DeviceRecord = { ...current, online: false, connectionId: null, updatedAt: isoAt(now) };
      return { next, expiresAt: now + RETENTION_MS, result: next };
    });
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
      return { next, expiresAt: now + RETENTION_MS, result: next };
    });
  }
}
