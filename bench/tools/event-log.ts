/**
 * `node --import tsx bench/tools/event-log.ts`: what the resume log costs per home event. Appends
 * (sequential: latency; 64 in flight: throughput) and reads of a full log, on the memory log and on a
 * RedisStore's log over a redis-server this tool spawns (redis-server on PATH).
 */
import { systemClock } from '../../src/clock.ts';
import { type HomeEventLog, MemoryHomeEventLog } from '../../src/store/event-log.ts';
import { RedisStore } from '../../src/store/redis.ts';
import { redisServerBinary, startRedisServer } from '../../test/helpers/redis.ts';

const limits = { windowMs: 180_000, maxEntries: 1000 };
const payload = { id: 'lamp-1', name: 'Desk lamp', type: 'light', actions: ['turn_on', 'turn_off'], online: true, state: { on: true, level: 40 }, updatedAt: new Date().toISOString(), source: 'socket' };
const entry = { event: 'device:state', payload, audience: 'home' as const, deviceId: 'lamp-1' };
const p50 = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(name: string, log: HomeEventLog): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const t = performance.now();
    await log.append('home-1', entry);
    times.push(performance.now() - t);
  }
  const started = performance.now();
  const total = 20_000;
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next++ < total) await log.append('home-2', entry);
  }));
  const perSecond = total / ((performance.now() - started) / 1000);
  const { position } = (await log.read('home-1', null)) as { position: { epoch: string; offset: number } };
  const reads: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await log.read('home-1', { epoch: position.epoch, offset: position.offset - 999 });
    reads.push(performance.now() - t);
  }
  console.log(`${name}: append p50 ${p50(times).toFixed(3)} ms, ${Math.round(perSecond)} appends/s with 64 in flight, read of 999 entries p50 ${p50(reads).toFixed(2)} ms`);
}

await measure('memory', new MemoryHomeEventLog(systemClock, limits));
const binary = redisServerBinary();
if (binary) {
  const redis = await startRedisServer(binary);
  const store = await RedisStore.connect({ url: redis.url, clock: systemClock });
  await measure('redis', store.openEventLog(limits));
  await store.close();
  await redis.kill();
}
