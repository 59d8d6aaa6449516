import Database from 'better-sqlite3';
import { SqliteAuditBackend } from '../audit/sqlite-backend.ts';
import type { AuditBackend } from '../audit/types.ts';
import type { Clock } from '../clock.ts';
import type { GuestTerms } from '../guests/terms.ts';
import { incrementWith } from './increment.ts';
import { LocalPubSub } from './local-pubsub.ts';
import { MemoryStore, withHomeDefaults } from './memory.ts';
import { SqliteCheckpointer } from './sqlite-checkpointer.ts';
import { SqliteHomeCache } from './sqlite-home-cache.ts';
import { SqliteLifecycle } from './sqlite-lifecycle.ts';
import { migrateSqlite } from './sqlite-migrations.ts';
import type {
  DeviceAuthMode,
  DeviceKeyRecord,
  GrantRecord,
  HomeChange,
  HomeRecord,
  KeyValueStore,
  NewHome,
  RefreshConsumeResult,
  RefreshTokenRecord,
  Store,
  Unsubscribe,
  UpdateOutcome,
} from './types.ts';

interface GrantRow {
  id: string;
  serial: string;
  client_name: string;
  method: 'code' | 'qr';
  created_at: string;
  last_used_at: string;
  ip: string;
  revoked_at: string | null;
  generation: string | null;
  guest: string | null;
}

interface HomeRow {
  serial: string;
  hub_key_hash: string;
  created_at: string;
  generation: string;
  device_auth: string;
}

const toHome = (r: HomeRow): HomeRecord => ({
  serial: r.serial,
  hubKeyHash: r.hub_key_hash,
  createdAt: r.created_at,
  generation: r.generation,
  deviceAuth: r.device_auth === 'keys' ? 'keys' : 'hub-key',
});

const toGrant = (r: GrantRow): GrantRecord => ({
  id: r.id,
  serial: r.serial,
  clientName: r.client_name,
  method: r.method,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  ip: r.ip,
  revokedAt: r.revoked_at,
  ...(r.generation !== null ? { generation: r.generation } : {}),
  ...(r.guest ? { guest: JSON.parse(r.guest) as GuestTerms } : {}),
});

export interface SqliteOptions {
  /** WAL checkpoints in a worker thread, off the event loop (default true; short-lived CLI runs need none). */
  checkpointInWorker?: boolean;
  /** Told when background checkpointing has trouble (the store falls back to SQLite's own). */
  onProblem?: (message: string) => void;
}

/**
 * The durable single-node default. better-sqlite3 is synchronous, so each method (and each
 * `update` inside its transaction) runs without interleaving: atomic for one process.
 */
export class SqliteStore extends LocalPubSub implements Store {
  readonly kind = 'sqlite' as const;
  /** One process owns this database, so short-lived records can stay in its memory. */
  readonly ephemeral: KeyValueStore;
  readonly audit: AuditBackend;
  private readonly db: Database.Database;
  private readonly q;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly lifecycle: SqliteLifecycle;
  private readonly homeCache: SqliteHomeCache;
  private readonly checkpointer: SqliteCheckpointer | undefined;

  constructor(
    file: string,
    private readonly clock: Clock,
    options: SqliteOptions = {},
  ) {
    super();
    this.ephemeral = new MemoryStore(clock);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    try {
      migrateSqlite(this.db, file);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.lifecycle = new SqliteLifecycle(this.db);
    this.homeCache = new SqliteHomeCache(() => this.lifecycle.readDataVersion());
    this.audit = new SqliteAuditBackend(this.db);
    if (options.checkpointInWorker !== false) this.checkpointer = new SqliteCheckpointer(this.db, file, options.onProblem);
    const db = this.db;
    this.q = {
      getHome: db.prepare('SELECT serial, hub_key_hash, created_at, generation, device_auth FROM homes WHERE serial = ?'),
      listHomes: db.prepare('SELECT serial, hub_key_hash, created_at, generation, device_auth FROM homes ORDER BY serial'),
      someHomes: db.prepare('SELECT serial, hub_key_hash, created_at, generation, device_auth FROM homes LIMIT ?'),
      upsertHome: db.prepare(
        `INSERT INTO homes (serial, hub_key_hash, created_at, generation, device_auth) VALUES (@serial, @hubKeyHash, @createdAt, @generation, @deviceAuth)
         ON CONFLICT(serial) DO UPDATE SET hub_key_hash = excluded.hub_key_hash`,
      ),
      removeHome: db.prepare('DELETE FROM homes WHERE serial = ?'),
      setDeviceAuth: db.prepare('UPDATE homes SET device_auth = ? WHERE serial = ?'),
      kvKeysFrom: db.prepare('SELECT key FROM kv WHERE key >= ? AND expires_at > ? ORDER BY key'),
      insertGrant: db.prepare(
        `INSERT INTO grants (id, serial, client_name, method, created_at, last_used_at, ip, revoked_at, generation, guest)
         VALUES (@id, @serial, @clientName, @method, @createdAt, @lastUsedAt, @ip, @revokedAt, @generation, @guest)`,
      ),
      getGrant: db.prepare('SELECT * FROM grants WHERE id = ?'),
      listGrants: db.prepare('SELECT * FROM grants WHERE serial = ? AND revoked_at IS NULL ORDER BY created_at'),
      touchGrant: db.prepare('UPDATE grants SET last_used_at = ?, ip = ? WHERE id = ?'),
      revokeGrant: db.prepare('UPDATE grants SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      putRefresh: db.prepare(
        'INSERT OR REPLACE INTO refresh_tokens (hash, grant_id, expires_at, used_at) VALUES (?, ?, ?, ?)',
      ),
      getRefresh: db.prepare('SELECT hash, grant_id, expires_at, used_at FROM refresh_tokens WHERE hash = ?'),
      markRefreshUsed: db.prepare('UPDATE refresh_tokens SET used_at = ? WHERE hash = ? AND used_at IS NULL'),
      kvGet: db.prepare('SELECT value, expires_at FROM kv WHERE key = ? AND expires_at > ?'),
      kvSet: db.prepare('INSERT OR REPLACE INTO kv (key, value, expires_at) VALUES (?, ?, ?)'),
      kvDel: db.prepare('DELETE FROM kv WHERE key = ?'),
      kvSweep: db.prepare('DELETE FROM kv WHERE expires_at <= ?'),
      refreshSweep: db.prepare('DELETE FROM refresh_tokens WHERE expires_at <= ?'),
    };
    // Old rate-limit windows and expired refresh tokens are dead weight; a minute's lag is harmless.
    // Real time on purpose: reads already compare against the clock, so the sweep decides no expiry.
    this.sweepTimer = setInterval(() => this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  async getHome(serial: string) {
    // Each caller gets its own record: the cached row is only ever read.
    const row = this.homeCache.read(`serial\u0000${serial}`, () => this.q.getHome.get(serial) as HomeRow | undefined);
    return row ? toHome(row) : null;
  }
  async listHomes(limit?: number) {
    // Every home is not cached (it may be many); "is there exactly one?" (limit 2) is, per pairing.
    const rows = limit === undefined ? this.q.listHomes.all() : this.homeCache.read(`some\u0000${limit}`, () => this.q.someHomes.all(limit));
    return (rows as HomeRow[]).map(toHome);
  }
  async upsertHome(home: NewHome) {
    this.homeCache.invalidate();
    this.q.upsertHome.run(withHomeDefaults(home));
  }
  async removeHome(serial: string) {
    this.homeCache.invalidate();
    return this.q.removeHome.run(serial).changes > 0;
  }
  async setHomeDeviceAuth(serial: string, mode: DeviceAuthMode) {
    this.homeCache.invalidate();
    return this.q.setDeviceAuth.run(mode, serial).changes > 0;
  }

  async putDeviceKey(record: DeviceKeyRecord) {
    this.lifecycle.putDeviceKey(record);
  }
  async getDeviceKey(serial: string, deviceId: string) {
    return this.lifecycle.getDeviceKey(serial, deviceId);
  }
  async deleteDeviceKey(serial: string, deviceId: string) {
    return this.lifecycle.deleteDeviceKey(serial, deviceId);
  }
  async deleteDeviceKeys(serial: string) {
    return this.lifecycle.deleteDeviceKeys(serial);
  }

  async keysWithPrefix(prefix: string) {
    // A range scan on the primary key; the loop stops at the first key past the prefix.
    const keys: string[] = [];
    for (const row of this.q.kvKeysFrom.iterate(prefix, this.clock.now()) as Iterable<{ key: string }>) {
      if (!row.key.startsWith(prefix)) break;
      keys.push(row.key);
    }
    return keys;
  }

  async announceHomeChange(change: HomeChange) {
    this.lifecycle.announce(change, this.clock.now());
  }
  async watchHomeChanges(handler: (change: HomeChange) => void): Promise<Unsubscribe> {
    return this.lifecycle.watch(handler);
  }

  async createGrant(grant: GrantRecord, firstRefreshToken?: RefreshTokenRecord) {
    // One commit for both: a grant never exists without its first refresh token, and pairing pays one write.
    this.db.transaction(() => {
      this.q.insertGrant.run({ ...grant, generation: grant.generation ?? null, guest: grant.guest ? JSON.stringify(grant.guest) : null });
      if (firstRefreshToken) this.insertRefresh(firstRefreshToken);
    })();
  }
  async getGrant(id: string) {
    const row = this.q.getGrant.get(id) as GrantRow | undefined;
    return row ? toGrant(row) : null;
  }
  async listGrants(serial: string) {
    return (this.q.listGrants.all(serial) as GrantRow[]).map(toGrant);
  }
  async touchGrant(id: string, lastUsedAt: string, ip: string) {
    this.q.touchGrant.run(lastUsedAt, ip, id);
  }
  async revokeGrant(id: string, revokedAt: string) {
    return this.q.revokeGrant.run(revokedAt, id).changes > 0;
  }

  async putRefreshToken(r: RefreshTokenRecord) {
    this.insertRefresh(r);
  }
  private insertRefresh(r: RefreshTokenRecord) {
    this.q.putRefresh.run(r.hash, r.grantId, r.expiresAt, r.usedAt);
  }
  async consumeRefreshToken(hash: string, now: number): Promise<RefreshConsumeResult> {
    return this.db.transaction((): RefreshConsumeResult => {
      const row = this.q.getRefresh.get(hash) as
        | { hash: string; grant_id: string; expires_at: number; used_at: number | null }
        | undefined;
      if (!row) return { status: 'unknown' };
      const record = { hash: row.hash, grantId: row.grant_id, expiresAt: row.expires_at, usedAt: row.used_at };
      if (row.used_at !== null) return { status: 'reused', record };
      this.q.markRefreshUsed.run(now, hash);
      return { status: 'ok', record: { ...record, usedAt: now } };
    }).immediate();
  }

  async get<T>(key: string): Promise<T | null> {
    const row = this.q.kvGet.get(key, this.clock.now()) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }
  async set<T>(key: string, value: T, expiresAt: number) {
    this.q.kvSet.run(key, JSON.stringify(value), expiresAt);
  }
  async setIfAbsent<T>(key: string, value: T, expiresAt: number) {
    return this.db.transaction(() => {
      if (this.q.kvGet.get(key, this.clock.now())) return false;
      this.q.kvSet.run(key, JSON.stringify(value), expiresAt);
      return true;
    }).immediate();
  }
  async del(key: string) {
    const existed = this.q.kvGet.get(key, this.clock.now()) !== undefined;
    this.q.kvDel.run(key);
    return existed;
  }
  async update<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<R> {
    return this.db.transaction(() => this.updateRow(key, fn)).immediate();
  }
  /** One transaction, so one commit for every key (a commit per key was most of a big drain). */
  async updateMany<T, R>(keys: readonly string[], fn: (current: T | null, key: string) => UpdateOutcome<T, R>): Promise<R[]> {
    if (keys.length === 0) return [];
    return this.db.transaction(() => keys.map((key) => this.updateRow<T, R>(key, (current) => fn(current, key)))).immediate();
  }

  /** The read-modify-write of one key; the caller holds the transaction. */
  private updateRow<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): R {
    const row = this.q.kvGet.get(key, this.clock.now()) as { value: string; expires_at: number } | undefined;
    const outcome = fn(row ? (JSON.parse(row.value) as T) : null);
    if (outcome.next === null) this.q.kvDel.run(key);
    else if (outcome.next !== undefined) {
      const expiresAt = outcome.expiresAt ?? row?.expires_at;
      if (expiresAt === undefined) throw new Error('update: expiresAt is required for a new key');
      this.q.kvSet.run(key, JSON.stringify(outcome.next), expiresAt);
    }
    return outcome.result;
  }
  async incr(key: string, expiresAt: number) {
    return incrementWith(this, key, expiresAt);
  }

  async ping() {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  async close() {
    clearInterval(this.sweepTimer);
    this.lifecycle.stop();
    await this.checkpointer?.stop();
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }

  private sweep() {
    const now = this.clock.now();
    this.q.kvSweep.run(now);
    this.q.refreshSweep.run(now);
    this.lifecycle.sweep(now);
  }
}
