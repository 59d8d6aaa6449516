import type { Clock } from '../clock.ts';
import { RedisAuditBackend } from '../audit/redis-backend.ts';
import { AppError } from '../errors.ts';
import type { GuestTerms } from '../guests/terms.ts';
import type { Logger } from '../logger.ts';
import { closeRedis, connectRedis, type RedisClient, redactUrl, translateRedisError } from './redis-connection.ts';
import { encodeEntry, gcTtlMs, GC_GRACE_MS, liveEntry } from './redis-entry.ts';
import { HOME_CHANGES_CHANNEL, RedisLifecycle } from './redis-lifecycle.ts';
import { runScript, scripts } from './redis-scripts.ts';
import type { LogLimits } from './event-log.ts';
import { RedisHomeEventLog } from './redis-event-log.ts';
import type {
  DeviceAuthMode,
  DeviceKeyRecord,
  GrantRecord,
  HomeChange,
  HomeRecord,
  NewHome,
  RefreshConsumeResult,
  KeyValueStore,
  RefreshTokenRecord,
  Store,
  Unsubscribe,
  UpdateOutcome,
} from './types.ts';

export interface RedisStoreOptions {
  url: string;
  clock: Clock;
  /** Prepended to every key and channel; default "relay:". */
  keyPrefix?: string;
  logger?: Logger;
}

/** Optimistic `update` gives up after this many lost races (only under absurd contention). */
const MAX_UPDATE_ATTEMPTS = 100;

/**
 * The multi-instance store. Durable records are hashes plus index sets; every multi-step change
 * is one Lua script or MULTI, so instances never see half a write. `update` is optimistic: read,
 * run the pure `fn`, then commit with a compare-and-set script that fails if anyone wrote the key
 * in between, and retry. That needs no WATCH, so it is safe on one shared, pipelined connection.
 * Pub/sub uses a second connection, because a subscribed connection can send nothing else.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  /** Every instance must see the same pairing code, so nothing here is instance-local. */
  readonly ephemeral: KeyValueStore = this;
  private readonly prefix: string;
  private readonly lifecycle: RedisLifecycle;
  readonly audit: RedisAuditBackend;

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly clock: Clock,
    keyPrefix: string,
  ) {
    this.prefix = keyPrefix;
    this.lifecycle = new RedisLifecycle(client, (...parts) => this.key(...parts));
    this.audit = new RedisAuditBackend(client, (...parts) => this.key(...parts));
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const { url, logger } = options;
    const client = await connectRedis({ url, name: 'relay-store', logger, failFastWhenOffline: true });
    try {
      const subscriber = await connectRedis({ url, name: 'relay-store-sub', logger, failFastWhenOffline: false });
      logger?.debug({ url: redactUrl(url) }, 'redis store connected');
      return new RedisStore(client, subscriber, options.clock, options.keyPrefix ?? 'relay:');
    } catch (err) {
      await closeRedis(client);
      throw err;
    }
  }

  // --- homes -------------------------------------------------------------------------------

  getHome(serial: string) {
    return this.guard(async () => toHome(await this.client.hGetAll(this.key('home', serial))));
  }
  listHomes(limit?: number) {
    return this.guard(async () => {
      // SRANDMEMBER with a count returns that many distinct members without reading the whole set.
      const serials = limit === undefined ? (await this.client.sMembers(this.key('homes'))).sort() : await this.client.sRandMemberCount(this.key('homes'), limit);
      const homes = await Promise.all(serials.map(async (s) => toHome(await this.client.hGetAll(this.key('home', s)))));
      return homes.filter((h): h is HomeRecord => h !== null);
    });
  }
  upsertHome(home: NewHome) {
    const key = this.key('home', home.serial);
    return this.guard(async () => {
      // createdAt, serial, generation and device auth only on creation; the key hash always.
      await this.client
        .multi()
        .hSetNX(key, 'serial', home.serial)
        .hSetNX(key, 'createdAt', home.createdAt)
        .hSetNX(key, 'generation', home.generation ?? '')
        .hSetNX(key, 'deviceAuth', home.deviceAuth ?? 'hub-key')
        .hSet(key, 'hubKeyHash', home.hubKeyHash)
        .sAdd(this.key('homes'), home.serial)
        .exec();
    });
  }
  removeHome(serial: string) {
    return this.guard(async () => {
      const [deleted] = await this.client.multi().del(this.key('home', serial)).sRem(this.key('homes'), serial).exec();
      return Number(deleted) > 0;
    });
  }

  setHomeDeviceAuth(serial: string, mode: DeviceAuthMode) {
    return this.guard(() => this.lifecycle.setDeviceAuth(serial, mode));
  }

  // --- device keys and home changes --------------------------------------------------------

  putDeviceKey(record: DeviceKeyRecord) {
    return this.guard(() => this.lifecycle.putDeviceKey(record));
  }
  getDeviceKey(serial: string, deviceId: string) {
    return this.guard(() => this.lifecycle.getDeviceKey(serial, deviceId));
  }
  deleteDeviceKey(serial: string, deviceId: string) {
    return this.guard(() => this.lifecycle.deleteDeviceKey(serial, deviceId));
  }
  deleteDeviceKeys(serial: string) {
    return this.guard(() => this.lifecycle.deleteDeviceKeys(serial));
  }
  keysWithPrefix(prefix: string) {
    return this.guard(() => this.lifecycle.kvKeysWithPrefix(prefix));
  }
  announceHomeChange(change: HomeChange) {
    return this.publish(HOME_CHANGES_CHANNEL, JSON.stringify(change));
  }
  watchHomeChanges(handler: (change: HomeChange) => void) {
    return this.subscribe(HOME_CHANGES_CHANNEL, (message) => handler(JSON.parse(message) as HomeChange));
  }

  // --- grants ------------------------------------------------------------------------------

  createGrant(grant: GrantRecord, firstRefreshToken?: RefreshTokenRecord) {
    return this.guard(async () => {
      const { revokedAt, guest, ...rest } = grant;
      const live = guest ? { ...rest, guest: JSON.stringify(guest) } : rest;
      const multi = this.client
        .multi()
        .hSet(this.key('grant', grant.id), revokedAt === null ? live : { ...live, revokedAt })
        .sAdd(this.key('grants', grant.serial), grant.id);
      if (firstRefreshToken) this.queueRefreshToken(multi, firstRefreshToken);
      await multi.exec();
    });
  }
  getGrant(id: string) {
    return this.guard(async () => toGrant(await this.client.hGetAll(this.key('grant', id))));
  }
  listGrants(serial: string) {
    return this.guard(async () => {
      // The index keeps revoked ids too (grants are never deleted); a home has few grants.
      const ids = await this.client.sMembers(this.key('grants', serial));
      const grants = await Promise.all(ids.map(async (id) => toGrant(await this.client.hGetAll(this.key('grant', id)))));
      return grants
        .filter((g): g is GrantRecord => g !== null && g.revokedAt === null)
        .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    });
  }
  touchGrant(id: string, lastUsedAt: string, ip: string) {
    return this.guard(async () => {
      await runScript(this.client, scripts.touchGrant, [this.key('grant', id)], [lastUsedAt, ip]);
    });
  }
  revokeGrant(id: string, revokedAt: string) {
    return this.guard(async () => Number(await runScript(this.client, scripts.revokeGrant, [this.key('grant', id)], [revokedAt])) === 1);
  }

  // --- refresh tokens ----------------------------------------------------------------------

  putRefreshToken(record: RefreshTokenRecord) {
    return this.guard(async () => {
      const multi = this.client.multi();
      this.queueRefreshToken(multi, record);
      await multi.exec();
    });
  }
  /** Adds the commands that store a refresh token to a MULTI (node-redis queues on the same object). */
  private queueRefreshToken(multi: { del(key: string): unknown; hSet(key: string, fields: Record<string, string>): unknown; pExpire(key: string, ms: number): unknown }, record: RefreshTokenRecord): void {
    const key = this.key('refresh', record.hash);
    const fields: Record<string, string> = { grantId: record.grantId, expiresAt: String(record.expiresAt) };
    if (record.usedAt !== null) fields.usedAt = String(record.usedAt);
    multi.del(key);
    multi.hSet(key, fields);
    // Kept a while past expiry so a late replay is still recognised; then Redis drops it.
    multi.pExpire(key, gcTtlMs(record.expiresAt, this.clock.now()));
  }
  consumeRefreshToken(hash: string, now: number): Promise<RefreshConsumeResult> {
    return this.guard(async () => {
      const reply = (await runScript(this.client, scripts.consumeRefresh, [this.key('refresh', hash)], [String(now)])) as string[];
      const [status, grantId, expiresAt, usedAt] = reply;
      if (status === undefined || grantId === undefined) return { status: 'unknown' };
      const record = { hash, grantId, expiresAt: Number(expiresAt), usedAt: Number(usedAt) };
      return status === 'ok' ? { status: 'ok', record } : { status: 'reused', record };
    });
  }

  // --- key/value ---------------------------------------------------------------------------

  get<T>(key: string): Promise<T | null> {
    return this.guard(async () => (liveEntry(await this.client.get(this.key('kv', key)), this.clock.now())?.value as T | undefined) ?? null);
  }
  set<T>(key: string, value: T, expiresAt: number) {
    const now = this.clock.now();
    return this.guard(async () => {
      if (expiresAt <= now) await this.client.del(this.key('kv', key));
      else await this.client.set(this.key('kv', key), encodeEntry(value, expiresAt), { PX: gcTtlMs(expiresAt, now) });
    });
  }
  setIfAbsent<T>(key: string, value: T, expiresAt: number) {
    const now = this.clock.now();
    if (expiresAt <= now) return Promise.resolve(false);
    return this.guard(
      async () =>
        Number(await runScript(this.client, scripts.setIfAbsent, [this.key('kv', key)], [String(now), encodeEntry(value, expiresAt), String(gcTtlMs(expiresAt, now))])) === 1,
    );
  }
  del(key: string) {
    return this.guard(async () => Number(await runScript(this.client, scripts.del, [this.key('kv', key)], [String(this.clock.now())])) === 1);
  }
  update<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<R> {
    return this.guard(async () => {
      const redisKey = this.key('kv', key);
      for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        const now = this.clock.now();
        const raw = await this.client.get(redisKey);
        const current = liveEntry(raw, now);
        const outcome = fn(current ? (current.value as T) : null);
        if (outcome.next === undefined) return outcome.result; // read-only: linearised at the read
        let next = '';
        let ttl = 0;
        if (outcome.next !== null) {
          const expiresAt = outcome.expiresAt ?? current?.expiresAt;
          if (expiresAt === undefined) throw new Error('update: expiresAt is required for a new key');
          if (expiresAt > now) {
            next = encodeEntry(outcome.next, expiresAt);
            ttl = gcTtlMs(expiresAt, now);
          }
        }
        if (next === '' && raw === null) return outcome.result; // deleting what is not there
        const committed = await runScript(this.client, scripts.compareAndSet, [redisKey], [raw ?? '', next, String(ttl)]);
        if (Number(committed) === 1) return outcome.result;
        // Lost a race: someone wrote in between. Back off a little, with jitter, so a crowd spreads out.
        if (attempt > 2) await sleep(Math.random() * Math.min(2 ** attempt, 50));
      }
      throw new AppError('unavailable', 'The shared store is too contended right now; try again.');
    });
  }
  incr(key: string, expiresAt: number) {
    const now = this.clock.now();
    return this.guard(async () =>
      Number(await runScript(this.client, scripts.incr, [this.key('kv', key)], [String(now), String(Math.floor(expiresAt)), String(GC_GRACE_MS)])),
    );
  }

  // --- pub/sub -----------------------------------------------------------------------------

  publish(channel: string, message: string) {
    return this.guard(async () => {
      await this.client.publish(this.prefix + channel, message);
    });
  }
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    const name = this.prefix + channel;
    // node-redis keeps one SUBSCRIBE per channel and fans out to every listener itself.
    const listener = (message: string) => handler(message);
    return this.guard(async () => {
      if (!this.subscriber.isReady) throw new AppError('unavailable');
      await this.subscriber.subscribe(name, listener);
      return () => {
        this.subscriber.unsubscribe(name, listener).catch(() => {
          // Offline or closed: node-redis already dropped the listener locally, which is all that matters.
        });
      };
    });
  }

  // --- lifecycle ---------------------------------------------------------------------------

  async ping() {
    try {
      return (await this.client.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
  async close() {
    await Promise.all([closeRedis(this.client), closeRedis(this.subscriber)]);
  }

  /** Resuming sockets may reconnect to any instance: the log lives in Redis beside everything else. */
  openEventLog(limits: LogLimits) {
    return new RedisHomeEventLog(this.client, (...parts) => this.key(...parts), this.clock, limits);
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** Every Redis call goes through here: connection trouble leaves as 503 `unavailable`. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw translateRedisError(err);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function toHome(h: Record<string, string>): HomeRecord | null {
  if (!h.serial || !h.hubKeyHash || !h.createdAt) return null;
  return {
    serial: h.serial,
    hubKeyHash: h.hubKeyHash,
    createdAt: h.createdAt,
    generation: h.generation ?? '',
    deviceAuth: h.deviceAuth === 'keys' ? 'keys' : 'hub-key',
  };
}

function toGrant(h: Record<string, string>): GrantRecord | null {
  if (!h.id || !h.serial) return null;
  return {
    id: h.id,
    serial: h.serial,
    clientName: h.clientName ?? '',
    method: h.method === 'qr' ? 'qr' : 'code',
    createdAt: h.createdAt ?? '',
    lastUsedAt: h.lastUsedAt ?? '',
    ip: h.ip ?? '',
    revokedAt: h.revokedAt ?? null,
    ...(h.generation !== undefined ? { generation: h.generation } : {}),
    ...(h.guest ? { guest: JSON.parse(h.guest) as GuestTerms } : {}),
  };
}
