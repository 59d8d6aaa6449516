import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { canonicalEntry, canonicalJson, seal, sealAll, verifyChain } from '../../src/audit/chain.ts';
import { MemoryAuditBackend } from '../../src/audit/memory-backend.ts';
import type { AuditBackend, AuditDraft, AuditEntry } from '../../src/audit/types.ts';
import { FakeClock } from '../../src/clock.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from '../helpers/redis.ts';
import { tempDir } from '../helpers/relay.ts';
import { describeWith } from '../helpers/requires.ts';

const draft = (n: number): AuditDraft => ({
  actor: { kind: 'grant', grantId: `g${n}`, clientName: 'Anna’s phone' },
  channel: 'rest',
  event: 'device.command',
  target: 'front-door',
  action: 'unlock',
  outcome: 'ok',
  latencyMs: n / 10,
});

const at = (day: number) => new Date(Date.UTC(2026, 0, day)).toISOString();

async function appendDays(backend: AuditBackend, serial: string, days: number[]): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (const day of days) entries.push(...(await backend.append(serial, sealAll([{ draft: draft(day), at: at(day) }]))));
  return entries;
}

async function all(backend: AuditBackend, serial: string): Promise<AuditEntry[]> {
  return backend.list(serial, 0, 10_000);
}

/** The same contract on every store's backend. */
function contract(name: string, make: () => Promise<{ backend: AuditBackend; close(): Promise<void> }>) {
  describe(`audit backend: ${name}`, () => {
    let backend: AuditBackend;
    let close: () => Promise<void>;
    let serialCount = 0;
    const serial = () => `home-${name}-${++serialCount}`;
    beforeAll(async () => {
      ({ backend, close } = await make());
    });
    afterAll(async () => close());

    it('chains entries per home, seq from 1, each prevHash the hash before it, and reads pages after a seq', async () => {
      const a = serial();
      const b = serial();
      const entries = await appendDays(backend, a, [1, 2, 3, 4]);
      await appendDays(backend, b, [1]);
      expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(entries[1]?.prevHash).toBe(entries[0]?.hash);
      expect(await all(backend, a)).toEqual(entries);
      expect((await backend.list(a, 2, 1)).map((e) => e.seq)).toEqual([3]);
      expect((await backend.latest(a, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect((await backend.latest(a, 10)).map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect((await all(backend, b)).map((e) => e.seq)).toEqual([1]);
      expect(verifyChain(await all(backend, a), await backend.anchor(a))).toMatchObject({ ok: true, checked: 4 });
      expect(await backend.serials()).toEqual(expect.arrayContaining([a, b]));
    });

    it('concurrent appends never fork the chain', async () => {
      const a = serial();
      await Promise.all(Array.from({ length: 20 }, (_, i) => backend.append(a, sealAll([{ draft: draft(i), at: at(1) }]))));
      const entries = await all(backend, a);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(verifyChain(entries, null)).toMatchObject({ ok: true, checked: 20 });
    });

    it('prunes old entries, keeps the newest always, and the rest still verifies from the anchor', async () => {
      const a = serial();
      await appendDays(backend, a, [1, 2, 3, 10, 11]);
      expect(await backend.prune(a, at(5))).toBe(3);
      const kept = await all(backend, a);
      expect(kept.map((e) => e.seq)).toEqual([4, 5]);
      expect(await backend.anchor(a)).toMatchObject({ seq: 3 });
      expect(verifyChain(kept, await backend.anchor(a))).toMatchObject({ ok: true, checked: 2, from: 4 });
      // Without the anchor the same rows look like a deleted head: the anchor is what makes pruning legitimate.
      expect(verifyChain(kept, null)).toMatchObject({ ok: false, brokenSeq: 4 });
      // Everything older than the cut-off, yet the head stays so the chain can go on.
      expect(await backend.prune(a, at(30))).toBe(1);
      expect((await all(backend, a)).map((e) => e.seq)).toEqual([5]);
      const [next] = await backend.append(a, sealAll([draft(12), draft(13)].map((d) => ({ draft: d, at: at(12) }))));
      expect(next?.seq).toBe(6);
      expect(verifyChain(await all(backend, a), await backend.anchor(a))).toMatchObject({ ok: true, checked: 3 });
    });
  });
}

contract('memory', async () => ({ backend: new MemoryAuditBackend(), close: async () => {} }));

contract('sqlite', async () => {
  const store = new SqliteStore(join(tempDir(), 'relay.sqlite'), new FakeClock());
  return { backend: store.audit, close: () => store.close() };
});

it('reads a row edited into invalid JSON as a placeholder at its seq, and verification names it (no 500, no crash)', async () => {
  const file = join(tempDir(), 'relay.sqlite');
  const first = new SqliteStore(file, new FakeClock());
  await appendDays(first.audit, 'home-1', [1, 2, 3, 4, 5]);
  await first.close();
  const raw = new Database(file);
  raw.prepare("UPDATE audit_log SET entry = '{bad' WHERE serial = 'home-1' AND seq = 3").run();
  raw.close();
  const store = new SqliteStore(file, new FakeClock());
  try {
    const entries = await all(store.audit, 'home-1');
    expect(entries.map((e) => [e.seq, e.event])).toEqual([
      [1, 'device.command'],
      [2, 'device.command'],
      [3, 'audit.unreadable'],
      [4, 'device.command'],
      [5, 'device.command'],
    ]);
    expect(verifyChain(entries, null)).toMatchObject({ ok: false, brokenSeq: 3, reason: expect.stringMatching(/not valid JSON/) });
    expect((await store.audit.latest('home-1', 3)).map((e) => e.seq)).toEqual([3, 4, 5]);
    // The log goes on after the edited row.
    expect((await appendDays(store.audit, 'home-1', [6])).map((e) => e.seq)).toEqual([6]);
  } finally {
    await store.close();
  }
});

describeWith('audit backend on redis', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => redis?.kill());
  contract('redis', async () => {
    const store = await RedisStore.connect({ url: redis.url, clock: new FakeClock(), keyPrefix: 'audit-test:' });
    return { backend: store.audit, close: () => store.close() };
  });

  it('two stores (two instances) appending at once build one chain', async () => {
    const [one, two] = await Promise.all(
      [1, 2].map(() => RedisStore.connect({ url: redis.url, clock: new FakeClock(), keyPrefix: 'audit-two:' })),
    );
    if (!one || !two) throw new Error('no stores');
    try {
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).audit.append('home-1', sealAll((i % 3 ? [draft(i)] : [draft(i), draft(i)]).map((d) => ({ draft: d, at: at(1) }))))),
      );
      const entries = await one.audit.list('home-1', 0, 100);
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(verifyChain(entries, null)).toMatchObject({ ok: true, checked: 40 });
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });
});

describe('audit chain', () => {
  it('names the first edited, deleted or reordered entry', async () => {
    const backend = new MemoryAuditBackend();
    const entries = await appendDays(backend, 'h', [1, 2, 3, 4]);
    const edited = entries.map((e) => (e.seq === 2 ? { ...e, outcome: 'denied' } : e));
    expect(verifyChain(edited, null)).toMatchObject({ ok: false, brokenSeq: 2, reason: expect.stringContaining('edited') });
    // Re-hashing the edited entry does not help: the next one no longer chains onto it.
    const rehashed = edited.map((e) => (e.seq === 2 ? seal({ seq: 1, hash: e.prevHash }, { ...e }, e.at) : e));
    expect(verifyChain(rehashed, null)).toMatchObject({ ok: false, brokenSeq: 3 });
    expect(verifyChain(entries.filter((e) => e.seq !== 3), null)).toMatchObject({ ok: false, brokenSeq: 4 });
    expect(verifyChain(entries.slice(1), null)).toMatchObject({ ok: false, brokenSeq: 2 });
    // A field added to a row is an edit too.
    expect(verifyChain(entries.map((e) => (e.seq === 3 ? { ...e, note: 'x' } : e)), null)).toMatchObject({ ok: false, brokenSeq: 3 });
  });

  it('the fast canonical form of an entry is byte for byte the general one', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('grant', 'kiosk', 'cli', 'system'),
          grantId: optional(text),
          clientName: optional(text),
          target: optional(text),
          action: optional(text),
          outcome: text,
          event: text,
          latencyMs: optional(fc.double({ min: 0, max: 1e6, noNaN: true })),
          seq: fc.nat(),
        }),
        (r) => {
          const { kind, grantId, clientName, seq, ...rest } = r;
          const entry = seal({ seq, hash: 'ab'.repeat(32) }, { actor: { kind, grantId, clientName }, channel: 'rest', ...rest } as AuditDraft, at(1));
          const { hash: _h, ...body } = entry;
          expect(canonicalEntry(body)).toBe(canonicalJson(body));
        },
      ),
    );
  });

  it('keeps only the entry fields: a stray field in a draft never reaches the log', () => {
    const entry = seal({ seq: 0, hash: '0'.repeat(64) }, { ...draft(1), token: 'secret' } as AuditDraft, at(1));
    expect(JSON.stringify(entry)).not.toContain('secret');
  });
});

