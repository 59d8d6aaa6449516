import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import type { HomeChange } from '../../src/store/types.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { tempDir } from '../helpers/relay.ts';
import { storeContract } from './contract.ts';

let file = '';
storeContract({
  name: 'sqlite',
  open: async (clock) => {
    file = join(tempDir('relay-sqlite-'), 'relay.sqlite');
    return new SqliteStore(file, clock);
  },
  reopen: async (clock) => new SqliteStore(file, clock),
});

describe('sqlite home changes across connections (another process, e.g. the CLI)', () => {
  it('reaches a watcher on another connection to the same file within 2 s, once, and not its own twice', async () => {
    const path = join(tempDir('relay-sqlite-'), 'relay.sqlite');
    const clock = new FakeClock(Date.now());
    const server = new SqliteStore(path, clock);
    const cli = new SqliteStore(path, clock);
    const seen: HomeChange[] = [];
    const stop = await server.watchHomeChanges((c) => seen.push(c));
    await server.announceHomeChange({ serial: 'mine', kind: 'rotated' });
    await cli.announceHomeChange({ serial: 'h', kind: 'removed' });
    const started = Date.now();
    while (seen.length < 2 && Date.now() - started < 2500) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 1200)); // one more poll: nothing is delivered twice
    stop();
    expect(seen).toEqual([{ serial: 'mine', kind: 'rotated' }, { serial: 'h', kind: 'removed' }]);
    await cli.close();
    await server.close();
  });

  it('never answers a home read from before a change, made here or by another connection', async () => {
    // The server caches home reads (every pairing and token check makes one); the CLI is another connection.
    const path = join(tempDir('relay-sqlite-'), 'relay.sqlite');
    const clock = new FakeClock(Date.now());
    const server = new SqliteStore(path, clock);
    const cli = new SqliteStore(path, clock);
    const home = (serial: string, hubKeyHash: string) => ({ serial, hubKeyHash, createdAt: '2026-01-01T00:00:00.000Z' });
    const serials = async () => (await server.listHomes(2)).map((h) => h.serial).sort();
    await server.upsertHome(home('a', 'k1'));
    expect(await serials()).toEqual(['a']);
    expect((await server.getHome('a'))?.hubKeyHash).toBe('k1');
    expect(await server.getHome('b')).toBeNull();

    await cli.upsertHome(home('b', 'k2')); // `relay homes add`
    expect(await serials()).toEqual(['a', 'b']);
    expect((await server.getHome('b'))?.hubKeyHash).toBe('k2');
    await cli.upsertHome(home('a', 'k3')); // `relay homes rotate-key`
    expect((await server.getHome('a'))?.hubKeyHash).toBe('k3');
    await cli.removeHome('b'); // `relay homes remove`
    expect(await server.getHome('b')).toBeNull();
    expect(await serials()).toEqual(['a']);

    expect((await server.getHome('a'))?.deviceAuth).toBe('hub-key');
    await server.setHomeDeviceAuth('a', 'keys');
    expect((await server.getHome('a'))?.deviceAuth).toBe('keys');
    await server.upsertHome(home('a', 'k4'));
    expect((await server.getHome('a'))?.hubKeyHash).toBe('k4');
    await server.removeHome('a');
    expect(await server.getHome('a')).toBeNull();
    expect(await serials()).toEqual([]);
    // Each read is the caller's own record: changing one changes nothing cached.
    await server.upsertHome(home('c', 'k5'));
    const first = await server.getHome('c');
    if (first) first.hubKeyHash = 'tampered';
    expect((await server.getHome('c'))?.hubKeyHash).toBe('k5');
    await cli.close();
    await server.close();
  });

  it('adds the generation and device-auth columns to a database made before them', async () => {
    const path = join(tempDir('relay-sqlite-'), 'relay.sqlite');
    const old = new Database(path);
    old.exec(`CREATE TABLE homes (serial TEXT PRIMARY KEY, hub_key_hash TEXT NOT NULL, created_at TEXT NOT NULL);
      INSERT INTO homes VALUES ('h', 'aa', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const store = new SqliteStore(path, new FakeClock(Date.now()));
    expect(await store.getHome('h')).toEqual({ serial: 'h', hubKeyHash: 'aa', createdAt: '2026-01-01T00:00:00.000Z', generation: '', deviceAuth: 'hub-key' });
    await store.close();
  });
});
