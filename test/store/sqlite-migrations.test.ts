import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { migrateSqlite, SchemaTooNewError, schemaVersion } from '../../src/store/sqlite-migrations.ts';
import { tempDir } from '../helpers/relay.ts';

/** The first release's DDL, written out here (not imported) so that later edits cannot change what "old" means. */
const firstReleaseSchema = `
CREATE TABLE homes (serial TEXT PRIMARY KEY, hub_key_hash TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE grants (id TEXT PRIMARY KEY, serial TEXT NOT NULL, client_name TEXT NOT NULL, method TEXT NOT NULL,
  created_at TEXT NOT NULL, last_used_at TEXT NOT NULL, ip TEXT NOT NULL, revoked_at TEXT);
CREATE INDEX grants_by_serial ON grants (serial, created_at);
CREATE TABLE refresh_tokens (hash TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE INDEX kv_by_expiry ON kv (expires_at);
INSERT INTO homes VALUES ('home-1', 'aa', '2026-01-01T00:00:00.000Z');
INSERT INTO grants VALUES ('g1', 'home-1', 'phone', 'code', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z', '10.0.0.7', NULL);
`;

/** What the last release before versioning made: device keys and lifecycle columns, user_version still 0. */
const lastUnversionedSchema = `${firstReleaseSchema}
ALTER TABLE homes ADD COLUMN generation TEXT NOT NULL DEFAULT '';
ALTER TABLE homes ADD COLUMN device_auth TEXT NOT NULL DEFAULT 'hub-key';
ALTER TABLE grants ADD COLUMN generation TEXT;
CREATE TABLE device_keys (serial TEXT NOT NULL, device_id TEXT NOT NULL, key_hash TEXT NOT NULL, created_at TEXT NOT NULL,
  PRIMARY KEY (serial, device_id));
CREATE TABLE home_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, serial TEXT NOT NULL, kind TEXT NOT NULL, origin TEXT NOT NULL, at INTEGER NOT NULL);
UPDATE homes SET generation = 'gen-1', device_auth = 'keys';
INSERT INTO device_keys VALUES ('home-1', 'lamp', 'bb', '2026-01-03T00:00:00.000Z');
`;

function databaseMadeWith(ddl: string, userVersion = 0): string {
  const file = join(tempDir('relay-migrate-'), 'relay.sqlite');
  const db = new Database(file);
  db.exec(ddl);
  db.pragma(`user_version = ${userVersion}`);
  db.close();
  return file;
}

/** Reads the file on a connection of its own, as another process would. */
function readOnly<T>(file: string, read: (db: Database.Database) => T): T {
  const db = new Database(file, { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
const versionOf = (file: string) => readOnly(file, (db) => Number(db.pragma('user_version', { simple: true })));
const tablesOf = (file: string) =>
  readOnly(file, (db) => (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name));
const columnsOf = (file: string, table: string) =>
  readOnly(file, (db) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));

const clock = () => new FakeClock(Date.parse('2026-02-01T00:00:00.000Z'));

describe('SQLite schema migrations (PRAGMA user_version)', () => {
  it('upgrades a database made by the first release, keeping its rows, and everything newer works on it', async () => {
    const file = databaseMadeWith(firstReleaseSchema);
    const store = new SqliteStore(file, clock());
    expect(versionOf(file)).toBe(schemaVersion);
    expect(await store.getHome('home-1')).toEqual({
      serial: 'home-1',
      hubKeyHash: 'aa',
      createdAt: '2026-01-01T00:00:00.000Z',
      generation: '',
      deviceAuth: 'hub-key',
    });
    expect(await store.getGrant('g1')).toMatchObject({ id: 'g1', clientName: 'phone', ip: '10.0.0.7', revokedAt: null });
    await store.putDeviceKey({ serial: 'home-1', deviceId: 'lamp', keyHash: 'cc', createdAt: '2026-02-01T00:00:00.000Z' });
    expect(await store.getDeviceKey('home-1', 'lamp')).toMatchObject({ keyHash: 'cc' });
    expect(tablesOf(file)).toEqual(expect.arrayContaining(['audit_anchor', 'audit_log', 'device_keys', 'home_changes']));
    expect(columnsOf(file, 'grants')).toEqual(expect.arrayContaining(['generation', 'guest']));
    await store.close();
  });

  it('stamps a database made by the last unversioned release without touching what it has', async () => {
    const file = databaseMadeWith(lastUnversionedSchema);
    const store = new SqliteStore(file, clock());
    expect(versionOf(file)).toBe(schemaVersion);
    expect(await store.getHome('home-1')).toMatchObject({ generation: 'gen-1', deviceAuth: 'keys' });
    expect(await store.getDeviceKey('home-1', 'lamp')).toMatchObject({ keyHash: 'bb' });
    await store.close();
  });

  it('upgrades a version-2 database that already gained the guest column and audit tables on open (before they were migrations)', async () => {
    const early = `${lastUnversionedSchema}
ALTER TABLE grants ADD COLUMN guest TEXT;
CREATE TABLE audit_log (serial TEXT NOT NULL, seq INTEGER NOT NULL, at TEXT NOT NULL, entry TEXT NOT NULL, PRIMARY KEY (serial, seq)) WITHOUT ROWID;
CREATE TABLE audit_anchor (serial TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
UPDATE grants SET guest = '{"scope":{"devices":"*","actions":"read"}}';`;
    const file = databaseMadeWith(early, 2);
    const store = new SqliteStore(file, clock());
    expect(versionOf(file)).toBe(schemaVersion);
    expect((await store.getGrant('g1'))?.guest).toEqual({ scope: { devices: '*', actions: 'read' } });
    await store.close();
  });

  it('runs nothing on a current database, and each step exactly once', () => {
    const file = databaseMadeWith(firstReleaseSchema);
    const db = new Database(file);
    expect(migrateSqlite(db, file)).toEqual({ from: 0, to: schemaVersion });
    expect(migrateSqlite(db, file)).toEqual({ from: schemaVersion, to: schemaVersion });
    db.close();
  });

  it('refuses a database from a newer release, naming the file and both versions, and leaves it alone', () => {
    const file = databaseMadeWith(lastUnversionedSchema, schemaVersion + 7);
    expect(() => new SqliteStore(file, clock())).toThrow(SchemaTooNewError);
    expect(() => new SqliteStore(file, clock())).toThrow(`${file} has schema version ${schemaVersion + 7}, newer than this home-relay understands (${schemaVersion})`);
    expect(versionOf(file)).toBe(schemaVersion + 7);
  });
});
