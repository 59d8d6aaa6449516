import type { Clock } from '../clock.ts';
import { MemoryAuditBackend } from '../audit/memory-backend.ts';
import { incrementWith } from './increment.ts';
import { LocalPubSub } from './local-pubsub.ts';
import type {
  DeviceAuthMode,
  DeviceKeyRecord,
  GrantRecord,
  HomeChange,
  HomeRecord,
  NewHome,
  RefreshConsumeResult,
  RefreshTokenRecord,
  KeyValueStore,
  Store,
  Unsubscribe,
  UpdateOutcome,
} from './types.ts';
import { channels } from './keys.ts';

/** The channel home changes travel on (LocalPubSub here, Redis pub/sub there). */
export const HOME_CHANGES_CHANNEL = channels.homeChanges;

interface Entry {
  value: unknown;
  expiresAt: number;
}

/** Everything in Maps; each method runs in one JS turn, which is what makes `update` atomic. */
export class MemoryStore extends LocalPubSub implements Store {
  readonly kind = 'memory' as const;
  readonly ephemeral: KeyValueStore = this;
  readonly audit = new MemoryAuditBackend();
  private readonly homes = new Map<string, HomeRecord>();
  private readonly grants = new Map<string, GrantRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly entries = new Map<string, Entry>();
  private readonly deviceKeys = new Map<string, DeviceKeyRecord>();
  private sweepCounter = 0;

  constructor(private readonly clock: Clock) {
    super();
  }

  async getHome(serial: string) {
    const home = this.homes.get(serial);
    return home ? { ...home } : null;
  }
  async listHomes(limit?: number) {
    if (limit !== undefined) return [...this.homes.values()].slice(0, limit).map((h) => ({ ...h }));
    return [...this.homes.values()].map((h) => ({ ...h })).sort((a, b) => a.serial.localeCompare(b.serial));
  }
  async upsertHome(home: NewHome) {
    const existing = this.homes.get(home.serial);
    this.homes.set(home.serial, existing ? { ...existing, hubKeyHash: home.hubKeyHash } : withHomeDefaults(home));
  }
  async removeHome(serial: string) {
    return this.homes.delete(serial);
  }
  async setHomeDeviceAuth(serial: string, mode: DeviceAuthMode) {
    const home = this.homes.get(serial);
    if (!home) return false;
    home.deviceAuth = mode;
    return true;
  }

  async putDeviceKey(record: DeviceKeyRecord) {
    this.deviceKeys.set(deviceKeyId(record.serial, record.deviceId), { ...record });
  }
  async getDeviceKey(serial: string, deviceId: string) {
    const record = this.deviceKeys.get(deviceKeyId(serial, deviceId));
    return record ? { ...record } : null;
  }
  async deleteDeviceKey(serial: string, deviceId: string) {
    return this.deviceKeys.delete(deviceKeyId(serial, deviceId));
  }
  async deleteDeviceKeys(serial: string) {
    let n = 0;
    for (const [id, record] of this.deviceKeys) if (record.serial === serial && this.deviceKeys.delete(id)) n++;
    return n;
  }

  async keysWithPrefix(prefix: string) {
    return [...this.entries.keys()].filter((key) => key.startsWith(prefix) && this.live(key) !== undefined);
  }

  async announceHomeChange(change: HomeChange) {
    await this.publish(HOME_CHANGES_CHANNEL, JSON.stringify(change));
  }
  watchHomeChanges(handler: (change: HomeChange) => void): Promise<Unsubscribe> {
    return this.subscribe(HOME_CHANGES_CHANNEL, (message) => handler(JSON.parse(message) as HomeChange));
  }

  async createGrant(grant: GrantRecord, firstRefreshToken?: RefreshTokenRecord) {
    this.grants.set(grant.id, { ...grant });
    if (firstRefreshToken) this.refreshTokens.set(firstRefreshToken.hash, { ...firstRefreshToken });
  }
  async getGrant(id: string) {
    const grant = this.grants.get(id);
    return grant ? { ...grant } : null;
  }
  async listGrants(serial: string) {
    return [...this.grants.values()]
      .filter((g) => g.serial === serial && g.revokedAt === null)
      .map((g) => ({ ...g }))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
  async touchGrant(id: string, lastUsedAt: string, ip: string) {
    const grant = this.grants.get(id);
    if (grant) Object.assign(grant, { lastUsedAt, ip });
  }
  async revokeGrant(id: string, revokedAt: string) {
    const grant = this.grants.get(id);
    if (!grant || grant.revokedAt !== null) return false;
    grant.revokedAt = revokedAt;
    return true;
  }

  async putRefreshToken(record: RefreshTokenRecord) {
    this.refreshTokens.set(record.hash, { ...record });
  }
  async consumeRefreshToken(hash: string, now: number): Promise<RefreshConsumeResult> {
    const record = this.refreshTokens.get(hash);
    if (!record) return { status: 'unknown' };
    if (record.usedAt !== null) return { status: 'reused', record: { ...record } };
    record.usedAt = now;
    return { status: 'ok', record: { ...record } };
  }

  async get<T>(key: string): Promise<T | null> {
    return (this.live(key)?.value as T | undefined) ?? null;
  }
  async set<T>(key: string, value: T, expiresAt: number) {
    this.sweepSometimes();
    this.entries.set(key, { value: structuredClone(value), expiresAt });
  }
  async setIfAbsent<T>(key: string, value: T, expiresAt: number) {
    if (this.live(key)) return false;
    await this.set(key, value, expiresAt);
    return true;
  }
  async del(key: string) {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }
  async update<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<R> {
    return this.updateNow(key, fn);
  }
  async updateMany<T, R>(keys: readonly string[], fn: (current: T | null, key: string) => UpdateOutcome<T, R>): Promise<R[]> {
    return keys.map((key) => this.updateNow<T, R>(key, (current) => fn(current, key)));
  }

  /** One read-modify-write, synchronously: nothing else runs in between. */
  private updateNow<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): R {
    const entry = this.live(key);
    const outcome = fn(entry ? (structuredClone(entry.value) as T) : null);
    if (outcome.next === null) this.entries.delete(key);
    else if (outcome.next !== undefined) {
      const expiresAt = outcome.expiresAt ?? entry?.expiresAt;
      if (expiresAt === undefined) throw new Error('update: expiresAt is required for a new key');
      this.entries.set(key, { value: structuredClone(outcome.next), expiresAt });
    }
    return outcome.result;
  }
  async incr(key: string, expiresAt: number) {
    this.sweepSometimes();
    return incrementWith(this, key, expiresAt);
  }

  async ping() {
    return true;
  }
  async close() {}

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Expired keys nobody reads again (old rate-limit windows) would pile up; sweep now and then. */
  private sweepSometimes() {
    if (++this.sweepCounter % 1000 !== 0) return;
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

const deviceKeyId = (serial: string, deviceId: string) => `${serial}\u0000${deviceId}`;

/** A new home record with the fields an older caller may leave out. */
export function withHomeDefaults(home: NewHome): HomeRecord {
  return { ...home, generation: home.generation ?? '', deviceAuth: home.deviceAuth ?? 'hub-key' };
}
