import type Database from 'better-sqlite3';

/**
 * The SQLite schema as ordered migrations; `PRAGMA user_version` records the last one applied.
 * Append a migration to change the schema, never edit one that has shipped: a database file
 * outlives the code that made it.
 *
 * Versions 1 to 4 are idempotent (IF NOT EXISTS, columns added only when missing) because
 * databases made before each became a migration already have some of it (versioning came after
 * version 2; the guest column and the audit tables were first made on open). Later migrations run
 * exactly once and can be plain DDL.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'homes, grants, refresh tokens, key-value records',
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS homes (
  serial TEXT PRIMARY KEY,
  hub_key_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
  id TEXT PRIMARY KEY,
  serial TEXT NOT NULL,
  client_name TEXT NOT NULL,
  method TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT NOT NULL,
  ip TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS grants_by_serial ON grants (serial, created_at);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX IF NOT EXISTS refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS kv_by_expiry ON kv (expires_at);
`),
  },
  {
    version: 2,
    name: 'device keys, cross-process home changes, home generations and device auth',
    up: (db) => {
      db.exec(`
CREATE TABLE IF NOT EXISTS device_keys (
  serial TEXT NOT NULL,
  device_id TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (serial, device_id)
);
CREATE TABLE IF NOT EXISTS home_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  serial TEXT NOT NULL,
  kind TEXT NOT NULL,
  origin TEXT NOT NULL,
  at INTEGER NOT NULL
);
`);
      addColumnIfMissing(db, 'homes', 'generation', "TEXT NOT NULL DEFAULT ''");
      addColumnIfMissing(db, 'homes', 'device_auth', "TEXT NOT NULL DEFAULT 'hub-key'");
      addColumnIfMissing(db, 'grants', 'generation', 'TEXT');
    },
  },
  {
    version: 3,
    name: 'guest terms (scope, notBefore, notAfter, maxUses) on grants',
    // Only when missing: guest grants briefly added this column on open, before it became a migration.
    up: (db) => addColumnIfMissing(db, 'grants', 'guest', 'TEXT'),
  },
  {
    version: 4,
    name: 'the hash-chained audit log',
    // IF NOT EXISTS: the audit backend created these tables itself before they became a migration.
    up: (db) =>
      db.exec(`
CREATE TABLE IF NOT EXISTS audit_log (
  serial TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  entry TEXT NOT NULL,
  PRIMARY KEY (serial, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit_anchor (
  serial TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
`),
  },
];

/** The schema version this code reads and writes. */
export const schemaVersion = migrations.at(-1)?.version ?? 0;

export class SchemaTooNewError extends Error {}

function addColumnIfMissing(db: Database.Database, table: string, column: string, declaration: string): void {
  const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
}

const userVersion = (db: Database.Database): number => Number(db.pragma('user_version', { simple: true }));

/**
 * Brings the database to `schemaVersion`, one transaction per migration. The version is read again
 * inside each write transaction: a server and a CLI opening the same old file at once migrate it once.
 * A file from newer code is refused rather than half-understood.
 */
export function migrateSqlite(db: Database.Database, file: string): { from: number; to: number } {
  const from = userVersion(db);
  if (from > schemaVersion) {
    throw new SchemaTooNewError(
      `${file} has schema version ${from}, newer than this home-relay understands (${schemaVersion}); run the newer release or restore a backup`,
    );
  }
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      if (userVersion(db) >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion };
}
