import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import type { DeviceKeyRecord, HomeChange, Unsubscribe } from './types.ts';

/** Another process's change reaches a watching server within this (plus the handler's time). */
const POLL_MS = 1000;
/** Rows only need to live until every server polled them; an hour is generous. */
const KEEP_CHANGES_MS = 3600_000;

interface ChangeRow {
  seq: number;
  serial: string;
  kind: HomeChange['kind'];
  origin: string;
}

/** Device keys and cross-process home changes over one SQLite database (tables: sqlite-migrations.ts, version 2). */
export class SqliteLifecycle {
  /** Names this process's rows: its own changes are delivered in process, not again by the poll. */
  private readonly origin = randomBytes(9).toString('base64url');
  private readonly q;
  private readonly handlers = new Set<(change: HomeChange) => void>();
  private poller: NodeJS.Timeout | undefined;
  private dataVersion = 0;
  private lastSeq = 0;

  constructor(private readonly db: Database.Database) {
    this.q = {
      putKey: db.prepare(
        `INSERT INTO device_keys (serial, device_id, key_hash, created_at) VALUES (@serial, @deviceId, @keyHash, @createdAt)
         ON CONFLICT(serial, device_id) DO UPDATE SET key_hash = excluded.key_hash, created_at = excluded.created_at`,
      ),
      getKey: db.prepare('SELECT serial, device_id, key_hash, created_at FROM device_keys WHERE serial = ? AND device_id = ?'),
      deleteKey: db.prepare('DELETE FROM device_keys WHERE serial = ? AND device_id = ?'),
      deleteKeys: db.prepare('DELETE FROM device_keys WHERE serial = ?'),
      insertChange: db.prepare('INSERT INTO home_changes (serial, kind, origin, at) VALUES (?, ?, ?, ?)'),
      changesAfter: db.prepare('SELECT seq, serial, kind, origin FROM home_changes WHERE seq > ? ORDER BY seq'),
      lastSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM home_changes'),
      // Prepared once: the poll runs every second for the server's life, db.pragma() would compile it each time.
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      sweepChanges: db.prepare('DELETE FROM home_changes WHERE at <= ?'),
    };
  }

  putDeviceKey(record: DeviceKeyRecord): void {
    this.q.putKey.run(record);
  }
  getDeviceKey(serial: string, deviceId: string): DeviceKeyRecord | null {
    const row = this.q.getKey.get(serial, deviceId) as { serial: string; device_id: string; key_hash: string; created_at: string } | undefined;
    return row ? { serial: row.serial, deviceId: row.device_id, keyHash: row.key_hash, createdAt: row.created_at } : null;
  }
  deleteDeviceKey(serial: string, deviceId: string): boolean {
    return this.q.deleteKey.run(serial, deviceId).changes > 0;
  }
  deleteDeviceKeys(serial: string): number {
    return this.q.deleteKeys.run(serial).changes;
  }

  /** Written to the table for other processes; delivered here at once. */
  announce(change: HomeChange, now: number): void {
    this.q.insertChange.run(change.serial, change.kind, this.origin, now);
    this.deliver(change);
  }

  watch(handler: (change: HomeChange) => void): Unsubscribe {
    this.handlers.add(handler);
    if (!this.poller) {
      this.lastSeq = (this.q.lastSeq.get() as { seq: number }).seq;
      this.dataVersion = this.readDataVersion();
      // data_version changes only when another connection commits: a poll that sees it unchanged
      // costs one pragma and reads nothing.
      this.poller = setInterval(() => this.poll(), POLL_MS);
      this.poller.unref();
    }
    return () => {
      this.handlers.delete(handler);
      if (this.handlers.size === 0) this.stop();
    };
  }

  sweep(now: number): void {
    this.q.sweepChanges.run(now - KEEP_CHANGES_MS);
  }

  stop(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private poll(): void {
    if (!this.db.open) {
      this.stop();
      return;
    }
    const version = this.readDataVersion();
    if (version === this.dataVersion) return;
    this.dataVersion = version;
    for (const row of this.q.changesAfter.all(this.lastSeq) as ChangeRow[]) {
      this.lastSeq = row.seq;
      if (row.origin !== this.origin) this.deliver({ serial: row.serial, kind: row.kind });
    }
  }

  /** SQLite's `data_version`: it changes when another connection to the file commits. */
  readDataVersion(): number {
    return Number(this.q.dataVersion.get());
  }

  private deliver(change: HomeChange): void {
    // A later turn, as a network bus would: callers never depend on synchronous delivery.
    for (const handler of this.handlers) queueMicrotask(() => handler(change));
  }
}
