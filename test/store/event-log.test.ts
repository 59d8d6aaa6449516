import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { type HomeEventLog, type LogLimits, MemoryHomeEventLog } from '../../src/store/event-log.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { type RedisServer, redisServerBinary, startRedisServer } from '../helpers/redis.ts';
import { describeWith } from '../helpers/requires.ts';

type Open = (clock: FakeClock, limits: LogLimits) => Promise<HomeEventLog & { close?(): Promise<void> }>;

const entry = (n: number) => ({ event: 'device:state', payload: { id: 'lamp-1', state: { n, text: 'two words' } }, audience: 'home' as const, deviceId: 'lamp-1' });

/** The same answers from the memory log and the Redis one. */
function logContract(name: string, open: () => Open): void {
  describe(`home event log: ${name}`, () => {
    it('numbers entries from 1 per home, reads after a position, and reports where it is', async () => {
      const clock = new FakeClock(Date.now());
      const log = await open()(clock, { windowMs: 60_000, maxEntries: 100 });
      const empty = await log.read('h', null);
      expect(empty).toMatchObject({ status: 'ok', position: { offset: 0 }, entries: [] });
      const { epoch } = empty.position;
      expect(await log.append('h', entry(1))).toEqual({ epoch, offset: 1 });
      expect(await log.append('h', entry(2))).toEqual({ epoch, offset: 2 });
      expect((await log.append('other', entry(1))).offset).toBe(1);
      const read = await log.read('h', { epoch, offset: 0 });
      expect(read).toMatchObject({ status: 'ok', position: { epoch, offset: 2 } });
      expect(read.status === 'ok' && read.entries.map((e) => [e.offset, e.payload])).toEqual([
        [1, entry(1).payload],
        [2, entry(2).payload],
      ]);
      expect(await log.read('h', { epoch, offset: 2 })).toMatchObject({ status: 'ok', entries: [] });
      // From the future, or from another epoch: gone, with what the log still holds.
      expect(await log.read('h', { epoch, offset: 3 })).toMatchObject({ status: 'gone', retained: [{ offset: 1 }, { offset: 2 }] });
      expect(await log.read('h', { epoch: 'other', offset: 1 })).toMatchObject({ status: 'gone', position: { epoch, offset: 2 } });
      await log.close?.();
    });

    it('forgets a home: a new epoch from offset 0, the old entries gone, other homes kept', async () => {
      const clock = new FakeClock(Date.now());
      const log = await open()(clock, { windowMs: 60_000, maxEntries: 100 });
      const old = await log.append('h', entry(1));
      await log.append('other', entry(1));
      await log.forget('h');
      const after = await log.read('h', { epoch: old.epoch, offset: 0 });
      expect(after).toMatchObject({ status: 'gone', position: { offset: 0 }, retained: [] });
      expect(after.position.epoch).not.toBe(old.epoch);
      expect((await log.read('other', null)).position.offset).toBe(1);
      await log.close?.();
    });

    it('drops entries past the cap and older than the window; a position before them is gone', async () => {
      const clock = new FakeClock(Date.now());
      const log = await open()(clock, { windowMs: 60_000, maxEntries: 3 });
      for (let n = 1; n <= 5; n++) await log.append('h', entry(n));
      const { epoch } = (await log.read('h', null)).position;
      expect(await log.read('h', { epoch, offset: 1 })).toMatchObject({ status: 'gone', retained: [{ offset: 3 }, { offset: 4 }, { offset: 5 }] });
      expect(await log.read('h', { epoch, offset: 2 })).toMatchObject({ status: 'ok', entries: [{ offset: 3 }, { offset: 4 }, { offset: 5 }] });
      clock.advance(61_000);
      await log.append('h', entry(6));
      expect(await log.read('h', { epoch, offset: 4 })).toMatchObject({ status: 'gone', retained: [{ offset: 6 }] });
      expect(await log.read('h', { epoch, offset: 5 })).toMatchObject({ status: 'ok', entries: [{ offset: 6 }] });
      await log.close?.();
    });

    it('holds exactly the cap across many appends (the memory log drops its extra entries in batches)', async () => {
      const clock = new FakeClock(Date.now());
      const log = await open()(clock, { windowMs: 60_000, maxEntries: 10 });
      for (let n = 1; n <= 250; n++) {
        await log.append('h', entry(n));
        if (n % 37 !== 0 && n !== 250) continue;
        const { epoch } = (await log.read('h', null)).position;
        const kept = Math.min(n, 10);
        const ok = await log.read('h', { epoch, offset: n - kept });
        expect(ok.status === 'ok' && ok.entries.map((e) => e.offset)).toEqual(Array.from({ length: kept }, (_, i) => n - kept + 1 + i));
        if (n > 10) {
          const gone = await log.read('h', { epoch, offset: n - 11 });
          expect(gone.status === 'gone' && gone.retained.map((e) => e.offset)).toEqual(Array.from({ length: 10 }, (_, i) => n - 9 + i));
        }
      }
      await log.close?.();
    });
  });
}

logContract('memory', () => async (clock, limits) => new MemoryHomeEventLog(clock, limits));

describeWith('home event log on Redis', redisServerBinary(), 'redis-server', (binary) => {
  let redis: RedisServer;
  let n = 0;
  beforeAll(async () => {
    redis = await startRedisServer(binary);
  });
  afterAll(async () => {
    await redis?.kill();
  });
  logContract('redis', () => async (clock, limits) => {
    const store = await RedisStore.connect({ url: redis.url, clock, keyPrefix: `log-${++n}:` });
    return Object.assign(store.openEventLog(limits), { close: () => store.close() });
  });
});
