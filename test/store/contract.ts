import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import type { GrantRecord, Store } from '../../src/store/types.ts';

export interface StoreFactory {
  name: string;
  /** A fresh, empty store on the given clock. */
  open(clock: FakeClock): Promise<Store>;
  /** Optional: the same data reopened (durable stores only). */
  reopen?(clock: FakeClock): Promise<Store>;
}

const grant = (over: Partial<GrantRecord> = {}): GrantRecord => ({
  id: 'g1',
  serial: 'home-1',
  clientName: 'Phone',
  method: 'code',
  createdAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: '2026-01-01T00:00:00.000Z',
  ip: '127.0.0.1',
  revokedAt: null,
  ...over,
});

/** One behaviour for every Store implementation: memory, sqlite, redis. */
export function storeContract(factory: StoreFactory): void {
  describe(`Store contract: ${factory.name}`, () => {
    let clock: FakeClock;
    let store: Store;
    beforeEach(async () => {
      clock = new FakeClock(Date.now());
      store = await factory.open(clock);
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates, reads, lists and removes homes; upsert replaces only the key hash', async () => {
      expect(await store.getHome('h')).toBeNull();
      await store.upsertHome({ serial: 'h', hubKeyHash: 'aa', createdAt: '2026-01-01T00:00:00.000Z' });
      await store.upsertHome({ serial: 'b', hubKeyHash: 'bb', createdAt: '2026-01-02T00:00:00.000Z' });
      await store.upsertHome({ serial: 'h', hubKeyHash: 'cc', createdAt: '2030-01-01T00:00:00.000Z' });
      expect(await store.getHome('h')).toEqual({ serial: 'h', hubKeyHash: 'cc', createdAt: '2026-01-01T00:00:00.000Z', generation: '', deviceAuth: 'hub-key' });
      expect((await store.listHomes()).map((h) => h.serial)).toEqual(['b', 'h']);
      await store.upsertHome({ serial: 'c', hubKeyHash: 'dd', createdAt: '2026-01-03T00:00:00.000Z' });
      const two = await store.listHomes(2);
      expect(two).toHaveLength(2);
      expect(new Set(two.map((h) => h.serial)).size).toBe(2);
      expect(await store.listHomes(5)).toHaveLength(3);
      expect(await store.removeHome('c')).toBe(true);
      expect(await store.removeHome('h')).toBe(true);
      expect(await store.removeHome('h')).toBe(false);
      expect(await store.getHome('h')).toBeNull();
    });

    it('keeps grants, lists live ones per home oldest first, touches and revokes once', async () => {
      await store.createGrant(grant({ id: 'g2', createdAt: '2026-01-02T00:00:00.000Z' }));
      await store.createGrant(grant({ id: 'g1' }));
      await store.createGrant(grant({ id: 'other', serial: 'home-2' }));
      expect((await store.listGrants('home-1')).map((g) => g.id)).toEqual(['g1', 'g2']);
      await store.touchGrant('g1', '2026-02-01T00:00:00.000Z', '10.0.0.9');
      expect(await store.getGrant('g1')).toMatchObject({ lastUsedAt: '2026-02-01T00:00:00.000Z', ip: '10.0.0.9' });
      expect(await store.revokeGrant('g1', '2026-03-01T00:00:00.000Z')).toBe(true);
      expect(await store.revokeGrant('g1', '2026-03-02T00:00:00.000Z')).toBe(false);
      expect(await store.revokeGrant('missing', '2026-03-02T00:00:00.000Z')).toBe(false);
      expect((await store.getGrant('g1'))?.revokedAt).toBe('2026-03-01T00:00:00.000Z');
      expect((await store.listGrants('home-1')).map((g) => g.id)).toEqual(['g2']);
      expect(await store.getGrant('missing')).toBeNull();
    });

    it('consumes a refresh token once and reports reuse', async () => {
      await store.putRefreshToken({ hash: 'r1', grantId: 'g1', expiresAt: clock.now() + 1000, usedAt: null });
      const first = await store.consumeRefreshToken('r1', clock.now());
      expect(first).toMatchObject({ status: 'ok', record: { grantId: 'g1', usedAt: clock.now() } });
      expect(await store.consumeRefreshToken('r1', clock.now())).toMatchObject({ status: 'reused', record: { grantId: 'g1' } });
      expect(await store.consumeRefreshToken('nope', clock.now())).toEqual({ status: 'unknown' });
    });

    it('stores a grant with its first refresh token', async () => {
      await store.createGrant(grant({ id: 'with-token' }), { hash: 'first', grantId: 'with-token', expiresAt: clock.now() + 1000, usedAt: null });
      expect(await store.getGrant('with-token')).not.toBeNull();
      expect(await store.consumeRefreshToken('first', clock.now())).toMatchObject({ status: 'ok', record: { grantId: 'with-token' } });
    });

    it('lets exactly one of many concurrent consumers spend a refresh token', async () => {
      await store.putRefreshToken({ hash: 'race', grantId: 'g1', expiresAt: clock.now() + 1000, usedAt: null });
      const results = await Promise.all(Array.from({ length: 20 }, () => store.consumeRefreshToken('race', clock.now())));
      expect(results.filter((r) => r.status === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'reused')).toHaveLength(19);
    });

    it('expires key/value entries by the clock', async () => {
      await store.set('k', { a: 1 }, clock.now() + 1000);
      expect(await store.get('k')).toEqual({ a: 1 });
      clock.advance(999);
      expect(await store.get('k')).toEqual({ a: 1 });
      clock.advance(1);
      expect(await store.get('k')).toBeNull();
    });

    it('sets only when absent and deletes', async () => {
      expect(await store.setIfAbsent('k', 1, clock.now() + 1000)).toBe(true);
      expect(await store.setIfAbsent('k', 2, clock.now() + 1000)).toBe(false);
      expect(await store.get('k')).toBe(1);
      expect(await store.del('k')).toBe(true);
      expect(await store.del('k')).toBe(false);
      clock.advance(5000);
      expect(await store.setIfAbsent('k', 3, clock.now() + 1000)).toBe(true);
    });

    it('updates atomically: concurrent decrements never lose a step', async () => {
      await store.set('n', 50, clock.now() + 60_000);
      const results = await Promise.all(
        Array.from({ length: 60 }, () =>
          store.update<number, number | 'gone'>('n', (n) => {
            if (n === null) return { result: 'gone' };
            return n - 1 <= 0 ? { next: null, result: 0 } : { next: n - 1, result: n - 1 };
          }),
        ),
      );
      expect(results.filter((r) => r === 0)).toHaveLength(1);
      expect(results.filter((r) => r === 'gone')).toHaveLength(10);
      expect(new Set(results.filter((r) => typeof r === 'number')).size).toBe(50);
      expect(await store.get('n')).toBeNull();
    });

    it('keeps the old expiry on update unless told, and needs one for a new key', async () => {
      await store.set('e', 1, clock.now() + 1000);
      await store.update<number, void>('e', (n) => ({ next: (n ?? 0) + 1, result: undefined }));
      clock.advance(1000);
      expect(await store.get('e')).toBeNull();
      await store.update<number, void>('f', () => ({ next: 1, expiresAt: clock.now() + 5000, result: undefined }));
      expect(await store.get('f')).toBe(1);
      await expect(store.update<number, void>('g', () => ({ next: 1, result: undefined }))).rejects.toThrow();
    });

    it('updates many keys in one call: results in order, each a read-modify-write of its own key', async () => {
      expect(await store.updateMany<number, number>([], () => ({ result: 0 }))).toEqual([]);
      await store.set('m1', 1, clock.now() + 1000);
      await store.set('m2', 2, clock.now() + 60_000);
      await store.set('m3', 3, clock.now() + 60_000);
      const seen = await store.updateMany<number, string>(['m1', 'm2', 'm3', 'm4'], (n, key) => {
        if (n === null) return { result: `${key}:absent` };
        if (n === 3) return { next: null, result: `${key}:deleted` };
        return { next: n * 10, result: `${key}:${n}` };
      });
      expect(seen).toEqual(['m1:1', 'm2:2', 'm3:deleted', 'm4:absent']);
      expect([await store.get('m1'), await store.get('m2'), await store.get('m3'), await store.get('m4')]).toEqual([10, 20, null, null]);
      // Each key kept its own expiry.
      clock.advance(1000);
      expect([await store.get('m1'), await store.get('m2')]).toEqual([null, 20]);
    });

    it('loses no step when single updates race a batch on the same keys', async () => {
      const names = Array.from({ length: 20 }, (_, i) => `race-${i}`);
      for (const name of names) await store.set(name, 0, clock.now() + 60_000);
      const bump = (n: number | null) => ({ next: (n ?? 0) + 1, result: undefined });
      await Promise.all([store.updateMany<number, void>(names, bump), ...names.map((name) => store.update<number, void>(name, bump)), store.updateMany<number, void>(names, bump)]);
      for (const name of names) expect(await store.get(name)).toBe(3);
    });

    it('counts within a window and restarts after it', async () => {
      const end = clock.now() + 60_000;
      const counts = await Promise.all(Array.from({ length: 25 }, () => store.incr('rl', end)));
      expect([...counts].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      clock.advance(60_000);
      expect(await store.incr('rl', clock.now() + 60_000)).toBe(1);
    });

    it('publishes to subscribers until they unsubscribe', async () => {
      const got: string[] = [];
      const unsubscribe = await store.subscribe('chan', (m) => got.push(m));
      await store.publish('chan', 'one');
      await store.publish('other', 'nope');
      await waitFor(() => got.length === 1);
      unsubscribe();
      await store.publish('chan', 'two');
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toEqual(['one']);
    });

    it('keeps short-lived records in its ephemeral space, with the same atomic rules', async () => {
      const space = store.ephemeral;
      await space.set('code', { attemptsLeft: 2 }, clock.now() + 1000);
      const results = await Promise.all(
        Array.from({ length: 4 }, () =>
          space.update<{ attemptsLeft: number }, number | null>('code', (c) =>
            c === null ? { result: null } : c.attemptsLeft <= 1 ? { next: null, result: 0 } : { next: { attemptsLeft: c.attemptsLeft - 1 }, result: c.attemptsLeft - 1 },
          ),
        ),
      );
      expect(results.sort()).toEqual([0, 1, null, null]);
      await space.set('gone', 1, clock.now() + 1000);
      clock.advance(1000);
      expect(await space.get('gone')).toBeNull();
    });

    it('keeps a home generation and device auth across key changes; device auth only for existing homes', async () => {
      await store.upsertHome({ serial: 'h', hubKeyHash: 'aa', createdAt: '2026-01-01T00:00:00.000Z', generation: 'gen-1' });
      await store.upsertHome({ serial: 'h', hubKeyHash: 'bb', createdAt: '2026-01-01T00:00:00.000Z', generation: 'gen-2' });
      expect(await store.setHomeDeviceAuth('h', 'keys')).toBe(true);
      expect(await store.setHomeDeviceAuth('missing', 'keys')).toBe(false);
      expect(await store.getHome('missing')).toBeNull();
      expect(await store.getHome('h')).toMatchObject({ hubKeyHash: 'bb', generation: 'gen-1', deviceAuth: 'keys' });
      await store.createGrant(grant({ id: 'with-gen', generation: 'gen-1' }));
      expect((await store.getGrant('with-gen'))?.generation).toBe('gen-1');
      expect((await store.getGrant('g1'))?.generation).toBeUndefined();
    });

    it('stores device keys per home and device, replaces, deletes one or a whole home', async () => {
      const key = (serial: string, deviceId: string, keyHash: string) => ({ serial, deviceId, keyHash, createdAt: '2026-01-01T00:00:00.000Z' });
      await store.putDeviceKey(key('h', 'lock', 'aa'));
      await store.putDeviceKey(key('h', 'lock', 'bb'));
      await store.putDeviceKey(key('h', 'lamp', 'cc'));
      await store.putDeviceKey(key('h2', 'lock', 'dd'));
      expect(await store.getDeviceKey('h', 'lock')).toEqual(key('h', 'lock', 'bb'));
      expect(await store.getDeviceKey('h', 'nope')).toBeNull();
      expect(await store.deleteDeviceKey('h', 'lamp')).toBe(true);
      expect(await store.deleteDeviceKey('h', 'lamp')).toBe(false);
      expect(await store.deleteDeviceKeys('h')).toBe(1);
      expect(await store.getDeviceKey('h', 'lock')).toBeNull();
      expect(await store.getDeviceKey('h2', 'lock')).toEqual(key('h2', 'lock', 'dd'));
    });

    it('lists key/value keys by prefix, nothing of a longer serial', async () => {
      await store.set('devices:record:h:a', 1, clock.now() + 60_000);
      await store.set('devices:record:h:b*', 1, clock.now() + 60_000);
      await store.set('devices:record:h2:a', 1, clock.now() + 60_000);
      await store.set('devices:recorx', 1, clock.now() + 60_000);
      expect((await store.keysWithPrefix('devices:record:h:')).sort()).toEqual(['devices:record:h:a', 'devices:record:h:b*']);
    });

    it('delivers announced home changes to watchers in this process', async () => {
      const seen: unknown[] = [];
      const stop = await store.watchHomeChanges((change) => seen.push(change));
      await store.announceHomeChange({ serial: 'h', kind: 'rotated' });
      await waitFor(() => seen.length === 1);
      stop();
      expect(seen).toEqual([{ serial: 'h', kind: 'rotated' }]);
    });

    it('answers ping', async () => {
      expect(await store.ping()).toBe(true);
    });

    if (factory.reopen) {
      it('keeps homes, grants, revocations, refresh tokens and live entries across a reopen', async () => {
        await store.upsertHome({ serial: 'h', hubKeyHash: 'aa', createdAt: '2026-01-01T00:00:00.000Z' });
        await store.createGrant(grant({ id: 'kept' }));
        await store.createGrant(grant({ id: 'gone' }));
        await store.revokeGrant('gone', '2026-01-05T00:00:00.000Z');
        await store.putRefreshToken({ hash: 'r', grantId: 'kept', expiresAt: clock.now() + 1000, usedAt: null });
        await store.set('idem', { result: 1 }, clock.now() + 86_400_000);
        await store.close();
        store = await factory.reopen!(clock);
        expect(await store.getHome('h')).not.toBeNull();
        expect((await store.getGrant('kept'))?.revokedAt).toBeNull();
        expect((await store.getGrant('gone'))?.revokedAt).toBe('2026-01-05T00:00:00.000Z');
        expect((await store.consumeRefreshToken('r', clock.now())).status).toBe('ok');
        expect(await store.get('idem')).toEqual({ result: 1 });
      });
    }
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
