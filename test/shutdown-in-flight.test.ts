import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { closeSockets, postJson, startRelay, type TestRelay } from './helpers/relay.ts';

/** A store whose home listing takes `delayMs` once `slow` is set: a request that is still working. */
function slowHomesStore(clock: FakeClock, delayMs: number) {
  const store = new MemoryStore(clock);
  const control = { slow: false };
  const listHomes = store.listHomes.bind(store);
  store.listHomes = async (limit?: number) => {
    if (control.slow) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return listHomes(limit);
  };
  return { store, control };
}

describe('stopping the process (SIGTERM) with a request in flight', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.store.close();
    relay = undefined;
  });

  it('answers it before the store closes and the process exits', async () => {
    const clock = new FakeClock(Date.now());
    const { store, control } = slowHomesStore(clock, 400);
    relay = await startRelay({ clock, store, keepStore: true });
    control.slow = true;
    // When the server finished writing the answer (the client reads it a moment later).
    let answeredAt = 0;
    relay.server.httpServer.on('request', (_req, res) =>
      res.once('finish', () => {
        answeredAt = performance.now();
      }),
    );
    // A claim with no code active: its answer needs only the store, no socket.
    const answered = postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await relay.server.close({ processExiting: true });
    const closedAt = performance.now();
    expect((await answered).body.error.code).toBe('code_expired');
    // main.ts closes the store and exits as soon as close() resolves: the answer must be out by then.
    expect(answeredAt).toBeGreaterThan(0);
    expect(answeredAt).toBeLessThanOrEqual(closedAt);
  });
});
