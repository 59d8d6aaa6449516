import type { Clock } from '../clock.ts';
import { RedisAuditBackend } from '../audit/redis-backend.ts';
import { AppError } from '../errors.ts';
import type { GuestTerms } from '../guests/terms.ts';
import type { Logger } from '../logger.ts';
import { closeRedis, connectRedis, describeTarget, isCluster, type RedisClient, translateRedisError } from './redis-connection.ts';
import { encodeEntry, gcTtlMs, GC_GRACE_MS, liveEntry } from './redis-entry.ts';
import { HOME_CHANGES_CHANNEL, RedisLifecycle } from './redis-lifecycle.ts';
import { runScript, scripts } from './redis-scripts.ts';
import type { LogLimits } from './event-log.ts';
import { RedisHomeEventLog } from './redis-event-log.ts';
import { keySlot } from './redis-slot.ts';
import { ReplicaWaitPolicy, WAIT_TIMEOUT_MS } from './replica-wait.ts';
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
  /** Redis Cluster seed nodes: the store then uses a cluster client (see `RedisStore`). */
  clusterNodes?: readonly string[] | undefined;
  clock: Clock;
  /** Prepended to every key and channel; default "relay:". */
  keyPrefix?: string;
  /**
   * Replicas that must have a durable write before it counts (Redis WAIT; REDIS_WAIT_REPLICAS).
   * Replication is asynchronous: without it, a primary that dies right after answering can take
   * its last writes with it, and the replica promoted in its place never saw them.
   */
  waitReplicas?: number;
  logger?: Logger;
}

/** The parts of node-redis's cluster client that WAIT needs: the slot map and key-routed raw commands. */
interface ClusterSlots {
  slots: ({ master?: { address?: string } } | undefined)[];
  sendCommand(firstKey: string, isReadonly: boolean, args: string[]): Promise<unknown>;
}

/** Optimistic `update` gives up after this many lost races (only under absurd contention). */
const MAX_UPDATE_ATTEMPTS = 100;

/**
 * The multi-instance store. Durable records are hashes plus index sets; every multi-step change
 * is one Lua script or MULTI, so instances never see half a write. `update` is optimistic: read,
 * run the pure `fn`, then commit with a compare-and-set script that fails if anyone wrote the key
 * in between, and retry. That needs no WATCH, so it is safe on one shared, pipelined connection.
 * Pub/sub uses a second connection, because a subscribed connection can send nothing else.
 *
 * On a Redis Cluster (`clusterNodes`) the keys a home owns (its hash, its grant index, its device
 * keys) carry the `{serial}` hash tag, so they live on one shard; every script and MULTI touches one
 * key or keys of one slot. The three writes that span slots (a home and the global home index, a
 * grant with its home's index and its refresh token) are ordered so that any prefix of them is
 * harmless: indexes are written first and read back through the records they point to (an index
 * entry without its record is skipped), and the record that makes a grant usable is written last.
 * Pub/sub is sharded (SPUBLISH/SSUBSCRIBE), so a channel lives on one shard instead of every node.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  /** Every instance must see the same pairing code, so nothing here is instance-local. */
  readonly ephemeral: KeyValueStore = this;
  private readonly prefix: string;
  private readonly lifecycle: RedisLifecycle;
  private readonly cluster: boolean;
  private readonly replicaWait: ReplicaWaitPolicy;
  readonly audit: RedisAuditBackend;

  private constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly clock: Clock,
    keyPrefix: string,
    private readonly waitReplicas: number,
  ) {
    this.prefix = keyPrefix;
    this.replicaWait = new ReplicaWaitPolicy(waitReplicas, clock);
    this.cluster = isCluster(client);
    this.lifecycle = new RedisLifecycle(client, (...parts) => this.key(...parts), (kind, serial) => this.homeKey(kind, serial));
    this.audit = new RedisAuditBackend(client, (...parts) => this.key(...parts), (kind, serial) => this.homeKey(kind, serial));
  }

  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    const { url, clusterNodes, logger } = options;
    const client = await connectRedis({ url, clusterNodes, name: 'relay-store', logger, failFastWhenOffline: true });
    try {
      const subscriber = await connectRedis({ url, clusterNodes, name: 'relay-store-sub', logger, failFastWhenOffline: false });
      logger?.debug({ redis: describeTarget({ url, clusterNodes }) }, 'redis store connected');
      return new RedisStore(client, subscriber, options.clock, options.keyPrefix ?? 'relay:', options.waitReplicas ?? 0);
    } catch (err) {
      await closeRedis(client);
      throw err;
    }
  }

  // --- homes -------------------------------------------------------------------------------

  getHome(serial: string) {
    return this.guard(async () => toHome(await this.client.hGetAll(this.homeKey('home', serial))));
  }
  listHomes(limit?: number) {
    return this.guard(async () => {
      // SRANDMEMBER with a count returns that many distinct members without reading the whole set.
      const serials = limit === undefined ? (await this.client.sMembers(this.key('homes'))).sort() : await this.client.sRandMemberCount(this.key('homes'), limit);
      const homes = await Promise.all(serials.map(async (s) => toHome(await this.client.hGetAll(this.homeKey('home', s)))));
      return homes.filter((h): h is HomeRecord => h !== null);
    });
  }
  upsertHome(home: NewHome) {
    const key = this.homeKey('home', home.serial);
    return this.guard(async () => {
      // On a cluster the index is another slot: written first, it can only point at a home not yet there (skipped).
      if (this.cluster) await this.client.sAdd(this.key('homes'), home.serial);
      // createdAt, serial, generation and device auth only on creation; the key hash always.
      const multi = this.client
        .multi()
        .hSetNX(key, 'serial', home.serial)
        .hSetNX(key, 'createdAt', home.createdAt)
        .hSetNX(key, 'generation', home.generation ?? '')
        .hSetNX(key, 'deviceAuth', home.deviceAuth ?? 'hub-key')
        .hSet(key, 'hubKeyHash', home.hubKeyHash);
      if (!this.cluster) multi.sAdd(this.key('homes'), home.serial);
      await multi.exec();
      await this.replicated(key);
    });
  }
  removeHome(serial: string) {
    return this.guard(async () => {
      if (this.cluster) {
        // The record first: a leftover index entry points at nothing and is skipped.
        const deleted = await this.client.del(this.homeKey('home', serial));
        await this.client.sRem(this.key('homes'), serial);
        return Number(deleted) > 0;
      }
      const [deleted] = await this.client.multi().del(this.homeKey('home', serial)).sRem(this.key('homes'), serial).exec();
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
      const fields = revokedAt === null ? live : { ...live, revokedAt };
      if (this.cluster) {
        // Three slots: the home's index, then the refresh token, then the grant that makes both count.
        await this.client.sAdd(this.homeKey('grants', grant.serial), grant.id);
        if (firstRefreshToken) {
          const refresh = this.client.multi();
          this.queueRefreshToken(refresh, firstRefreshToken);
          await refresh.exec();
        }
        await this.client.hSet(this.key('grant', grant.id), fields);
        // Every write above went through this client, so each shard's WAIT covers its own.
        await Promise.all([this.replicated(this.homeKey('grants', grant.serial)), firstRefreshToken ? this.replicated(this.key('refresh', firstRefreshToken.hash)) : undefined, this.replicated(this.key('grant', grant.id))]);
        return;
      }
      const multi = this.client.multi().hSet(this.key('grant', grant.id), fields).sAdd(this.homeKey('grants', grant.serial), grant.id);
      if (firstRefreshToken) this.queueRefreshToken(multi, firstRefreshToken);
      await multi.exec();
      await this.replicated(this.key('grant', grant.id));
    });
  }
  getGrant(id: string) {
    return this.guard(async () => toGrant(await this.client.hGetAll(this.key('grant', id))));
  }
  listGrants(serial: string) {
    return this.guard(async () => {
      // The index keeps revoked ids too (grants are never deleted); a home has few grants.
      const ids = await this.client.sMembers(this.homeKey('grants', serial));
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
    return this.guard(async () => {
      const revoked = Number(await runScript(this.client, scripts.revokeGrant, [this.key('grant', id)], [revokedAt])) === 1;
      await this.replicated(this.key('grant', id));
      return revoked;
    });
  }

  // --- refresh tokens ----------------------------------------------------------------------

  putRefreshToken(record: RefreshTokenRecord) {
    return this.guard(async () => {
      const multi = this.client.multi();
      this.queueRefreshToken(multi, record);
      await multi.exec();
      await this.replicated(this.key('refresh', record.hash));
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
      // A spent token forgotten by a failover could be spent again: the reuse detection depends on this write.
      await this.replicated(this.key('refresh', hash));
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
      await this.replicated(this.key('kv', key));
    });
  }
  setIfAbsent<T>(key: string, value: T, expiresAt: number) {
    const now = this.clock.now();
    if (expiresAt <= now) return Promise.resolve(false);
    return this.guard(async () => {
      const stored = Number(await runScript(this.client, scripts.setIfAbsent, [this.key('kv', key)], [String(now), encodeEntry(value, expiresAt), String(gcTtlMs(expiresAt, now))])) === 1;
      if (stored) await this.replicated(this.key('kv', key));
      return stored;
    });
  }
  del(key: string) {
    return this.guard(async () => Number(await runScript(this.client, scripts.del, [this.key('kv', key)], [String(this.clock.now())])) === 1);
  }
  update<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<R> {
    return this.guard(async () => {
      const redisKey = this.key('kv', key);
      for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        const tried = await this.tryUpdate(redisKey, await this.client.get(redisKey), fn);
        if (tried.committed) {
          if (tried.wrote) await this.replicated(redisKey);
          return tried.result;
        }
        // Lost a race: someone wrote in between. Back off a little, with jitter, so a crowd spreads out.
        if (attempt > 2) await sleep(Math.random() * Math.min(2 ** attempt, 50));
      }
      throw new AppError('unavailable', 'The shared store is too contended right now; try again.');
    });
  }
  /**
   * Every key's first attempt in two pipelined round trips (the reads, then the compare-and-sets,
   * each sent in one go on the shared connection); a key that lost its race goes through `update`.
   */
  updateMany<T, R>(keys: readonly string[], fn: (current: T | null, key: string) => UpdateOutcome<T, R>): Promise<R[]> {
    return this.guard(async () => {
      const redisKeys = keys.map((key) => this.key('kv', key));
      const raws = await Promise.all(redisKeys.map((redisKey) => this.client.get(redisKey)));
      const tried = await Promise.all(keys.map((key, i) => this.tryUpdate<T, R>(redisKeys[i] as string, raws[i] ?? null, (current) => fn(current, key))));
      const written = redisKeys.filter((_, i) => tried[i]?.committed && tried[i].wrote);
      await (this.cluster ? Promise.all(written.map((k) => this.replicated(k))) : written.length > 0 ? this.replicated(written[0] as string) : undefined);
      return Promise.all(tried.map((t, i) => (t.committed ? t.result : this.update<T, R>(keys[i] as string, (current) => fn(current, keys[i] as string)))));
    });
  }

  /** One optimistic attempt from what was read: run `fn`, commit with compare-and-set. */
  private async tryUpdate<T, R>(redisKey: string, raw: string | null, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<{ committed: true; wrote: boolean; result: R } | { committed: false }> {
    const now = this.clock.now();
    const current = liveEntry(raw, now);
    const outcome = fn(current ? (current.value as T) : null);
    if (outcome.next === undefined) return { committed: true, wrote: false, result: outcome.result }; // read-only: linearised at the read
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
    if (next === '' && raw === null) return { committed: true, wrote: false, result: outcome.result }; // deleting what is not there
    const committed = await runScript(this.client, scripts.compareAndSet, [redisKey], [raw ?? '', next, String(ttl)]);
    return Number(committed) === 1 ? { committed: true, wrote: true, result: outcome.result } : { committed: false };
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
      if (this.cluster) await this.client.sPublish(this.prefix + channel, message);
      else await this.client.publish(this.prefix + channel, message);
    });
  }
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe> {
    const name = this.prefix + channel;
    // node-redis keeps one SUBSCRIBE per channel and fans out to every listener itself.
    const listener = (message: string) => handler(message);
    return this.guard(async () => {
      if (!this.subscriber.isReady) throw new AppError('unavailable');
      if (this.cluster) await this.subscriber.sSubscribe(name, listener);
      else await this.subscriber.subscribe(name, listener);
      return () => {
        (this.cluster ? this.subscriber.sUnsubscribe(name, listener) : this.subscriber.unsubscribe(name, listener)).catch(() => {
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

  /**
   * With `waitReplicas`, waits (up to 500 ms) until that many replicas of the key's primary have
   * everything this connection wrote to it. Too few in time: the write stands and the caller goes
   * on (availability over a stall); it is exposed to a failover in that window, as without WAIT.
   */
  private async replicated(key: string): Promise<void> {
    if (this.waitReplicas <= 0) return;
    // Each primary counts its own replicas; on a cluster the first key routes WAIT to the key's.
    const primary = this.cluster ? (this.client as unknown as ClusterSlots).slots[keySlot(key)]?.master?.address : 'single';
    const asked = this.replicaWait.replicasFor(primary);
    if (asked <= 0) return;
    const args = ['WAIT', String(asked), String(WAIT_TIMEOUT_MS)];
    const acked = Number(this.cluster ? await (this.client as unknown as ClusterSlots).sendCommand(key, false, args) : await this.client.sendCommand(args));
    this.replicaWait.confirmed(primary, asked, Number.isFinite(acked) ? acked : 0);
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  /** A key a home owns: on a cluster the serial is its hash tag, so a home's keys share one slot. */
  private homeKey(kind: string, serial: string): string {
    return this.cluster ? `${this.prefix}${kind}:{${serial}}` : this.key(kind, serial);
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
