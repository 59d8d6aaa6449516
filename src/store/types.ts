import type { AuditBackend } from '../audit/types.ts';
import type { GuestTerms } from '../guests/terms.ts';
import type { HomeEventLog, LogLimits } from './event-log.ts';

/**
 * The Store: everything that must be shared by all instances or survive a restart.
 * Durable records (homes, grants, refresh tokens) have typed methods; short-lived records
 * (pairing codes, locks, rate-limit windows, QR sessions, idempotency results) go through the
 * small key/value API with absolute expiry and an atomic read-modify-write, which each
 * implementation makes atomic its own way (a JS turn, a SQLite transaction, Redis WATCH/MULTI).
 */

export interface HomeRecord {
  serial: string;
  /** sha256 of the hub key, hex. The key itself is never stored. */
  hubKeyHash: string;
  createdAt: string;
  /**
   * Random id given when the home is created ("" for homes older than generations). Tokens carry
   * it, so removing a home and adding its serial again leaves no old token working.
   */
  generation: string;
  /** `keys`: the hub key no longer opens `/device`; each device needs its own key. */
  deviceAuth: DeviceAuthMode;
}

export type DeviceAuthMode = 'hub-key' | 'keys';

/** What `upsertHome` takes: generation and device auth are set on creation and kept after. */
export type NewHome = Omit<HomeRecord, 'generation' | 'deviceAuth'> & Partial<Pick<HomeRecord, 'generation' | 'deviceAuth'>>;

/** A device's own key, bound to one deviceId of one home. */
export interface DeviceKeyRecord {
  serial: string;
  deviceId: string;
  /** sha256 of the key, hex; the key is shown once when issued. */
  keyHash: string;
  createdAt: string;
}

/**
 * A change to a home that live sockets must follow (their credential may have died). Seen by
 * every relay process sharing the store, including when the CLI, another process, made it.
 */
export interface HomeChange {
  serial: string;
  kind: 'rotated' | 'removed' | 'device-auth' | 'device-key';
}

export type GrantMethod = 'code' | 'qr';

export interface GrantRecord {
  id: string;
  serial: string;
  clientName: string;
  method: GrantMethod;
  createdAt: string;
  lastUsedAt: string;
  ip: string;
  revokedAt: string | null;
  /** The home's generation when the grant was made (absent: before generations existed). */
  generation?: string;
  /** A scoped (guest) grant's terms; absent for a full grant. */
  guest?: GuestTerms;
}

export interface RefreshTokenRecord {
  /** sha256 of the opaque token, hex. */
  hash: string;
  grantId: string;
  expiresAt: number;
  usedAt: number | null;
}

export type RefreshConsumeResult =
  | { status: 'ok'; record: RefreshTokenRecord }
  | { status: 'reused'; record: RefreshTokenRecord }
  | { status: 'unknown' };

/** What `update` callbacks return: the new value (null deletes, undefined keeps) and a result. */
export interface UpdateOutcome<T, R> {
  next?: T | null;
  /** Absolute expiry (epoch ms) for `next`; keeps the old expiry when omitted. */
  expiresAt?: number;
  result: R;
}

export interface KeyValueStore {
  get<T>(key: string): Promise<T | null>;
  /** Stores `value` until `expiresAt` (epoch ms). */
  set<T>(key: string, value: T, expiresAt: number): Promise<void>;
  /** Stores only when the key is absent; true when stored. */
  setIfAbsent<T>(key: string, value: T, expiresAt: number): Promise<boolean>;
  del(key: string): Promise<boolean>;
  /** Atomic read-modify-write. `fn` must be pure: an implementation may call it more than once. */
  update<T, R>(key: string, fn: (current: T | null) => UpdateOutcome<T, R>): Promise<R>;
  /**
   * `update` of many keys in one go (results in the order of `keys`): each key's read-modify-write
   * is atomic on its own, and the store does them in one operation where it can (one SQLite
   * transaction, one JS turn, pipelined Redis round trips) instead of one per key. For bulk work
   * such as a stopping instance marking all its devices offline at once. `fn` must be pure.
   */
  updateMany<T, R>(keys: readonly string[], fn: (current: T | null, key: string) => UpdateOutcome<T, R>): Promise<R[]>;
  /** Adds 1 and returns the new count; the window's expiry is set by the first hit. */
  incr(key: string, expiresAt: number): Promise<number>;
}

export type Unsubscribe = () => void;

/** Fan-out between instances for things that are not socket deliveries (QR results, revocations). */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
}

export interface Store extends KeyValueStore, PubSub {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /**
   * Key/value space for records that are worthless after a restart (pairing codes live 180 s):
   * shared by every instance like the rest of the store, but not written to disk by the
   * single-node SQLite store, which keeps them in memory and saves two commits per pairing.
   */
  readonly ephemeral: KeyValueStore;
  /** The hash-chained audit log of every home (src/audit/). */
  readonly audit: AuditBackend;

  getHome(serial: string): Promise<HomeRecord | null>;
  /**
   * Every home in serial order; with `limit`, at most that many (which ones is unspecified), for
   * callers that only need to know whether there is exactly one without reading them all.
   */
  listHomes(limit?: number): Promise<HomeRecord[]>;
  /** Creates the home or replaces its hub key hash. */
  upsertHome(home: NewHome): Promise<void>;
  removeHome(serial: string): Promise<boolean>;
  /** false when there is no such home. */
  setHomeDeviceAuth(serial: string, mode: DeviceAuthMode): Promise<boolean>;

  /** Stores (or replaces) the key of one device. */
  putDeviceKey(record: DeviceKeyRecord): Promise<void>;
  getDeviceKey(serial: string, deviceId: string): Promise<DeviceKeyRecord | null>;
  deleteDeviceKey(serial: string, deviceId: string): Promise<boolean>;
  /** Every device key of a home (a removed home); returns how many. */
  deleteDeviceKeys(serial: string): Promise<number>;

  /** Key/value keys starting with `prefix` (a removed home's records; not for hot paths). Redis may include entries past expiry not yet collected. */
  keysWithPrefix(prefix: string): Promise<string[]>;

  /** Tells every process sharing this store (other instances, a server when the CLI runs) that a home changed. */
  announceHomeChange(change: HomeChange): Promise<void>;
  /** Calls `handler` for changes announced anywhere, this process included. */
  watchHomeChanges(handler: (change: HomeChange) => void): Promise<Unsubscribe>;

  /** Stores a new grant, and with it its first refresh token in the same atomic write. */
  createGrant(grant: GrantRecord, firstRefreshToken?: RefreshTokenRecord): Promise<void>;
  getGrant(id: string): Promise<GrantRecord | null>;
  /** Live (unrevoked) grants of a home, oldest first. */
  listGrants(serial: string): Promise<GrantRecord[]>;
  touchGrant(id: string, lastUsedAt: string, ip: string): Promise<void>;
  /** Marks the grant revoked; false when it did not exist or was already revoked. */
  revokeGrant(id: string, revokedAt: string): Promise<boolean>;

  putRefreshToken(record: RefreshTokenRecord): Promise<void>;
  /** Atomically marks the token used; a second use reports `reused`. */
  consumeRefreshToken(hash: string, now: number): Promise<RefreshConsumeResult>;

  /**
   * The per-home event log resuming sockets read, when it must be shared by instances (Redis).
   * Absent: single node, where the log lives in the server's own memory.
   */
  openEventLog?(limits: LogLimits): HomeEventLog;

  /** True when the store answers (used by /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
