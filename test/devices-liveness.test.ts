import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { InstanceLiveness } from '../src/devices/liveness.ts';
import { createLogger } from '../src/logger.ts';
import { MemoryStore } from '../src/store/memory.ts';

/** Instances on one store, with a real-time clock the test moves (no sleeping). */
function setup() {
  const clock = new FakeClock();
  const realClock = new FakeClock();
  const store = new MemoryStore(clock);
  const logger = createLogger('silent');
  const dead: string[][] = [];
  const revived: string[] = [];
  const instance = (instanceId: string) => {
    const died: string[] = [];
    dead.push(died);
    return new InstanceLiveness({
      store,
      logger,
      clock,
      realClock,
      instanceId,
      heartbeatMs: 1000,
      deadAfterMs: 5000,
      onDead: async (id) => void died.push(id),
      onRevived: async () => void revived.push(instanceId),
    });
  };
  return { realClock, instance, dead, revived, store };
}

describe('instance liveness', () => {
  it('lets exactly one survivor claim an instance that stopped beating', async () => {
    const { realClock, instance, dead } = setup();
    const [a, b, c] = [instance('a'), instance('b'), instance('c')];
    for (const i of [a, b, c]) await i.tick();
    realClock.advance(4000); // c stops beating
    await Promise.all([a.tick(), b.tick()]);
    expect(dead.flat()).toEqual([]); // 4 s of silence is not death
    realClock.advance(1000);
    await Promise.all([a.tick(), b.tick()]);
    expect(dead.flat()).toEqual(['c']);
    realClock.advance(1000);
    await Promise.all([a.tick(), b.tick()]);
    expect(dead.flat()).toEqual(['c']); // claimed once, never again
  });

  it('never judges others until it has itself been beating for a whole window (after a store outage)', async () => {
    const { realClock, instance, dead, store } = setup();
    const [a, b] = [instance('a'), instance('b')];
    await b.tick();
    realClock.advance(60_000); // b's last beat is old, but a has only just started
    await a.tick();
    expect(dead.flat()).toEqual([]);
    await b.tick(); // b is back (the store was away for everyone) and beats on through a's window
    realClock.advance(3000);
    await b.tick();
    realClock.advance(2000);
    await a.tick();
    expect(dead.flat()).toEqual([]);
    expect(await store.get('instances:index')).toEqual(['b', 'a']);
  });

  it('tells an instance that was taken for dead (it stalled) to re-announce itself', async () => {
    const { realClock, instance, dead, revived } = setup();
    const [a, b] = [instance('a'), instance('b')];
    await a.tick();
    await b.tick();
    realClock.advance(6000); // b stalls; a keeps beating
    await a.tick();
    expect(dead.flat()).toEqual(['b']);
    expect(revived).toEqual([]);
    await b.tick();
    expect(revived).toEqual(['b']);
    await b.tick();
    expect(revived).toEqual(['b']);
  });
});
