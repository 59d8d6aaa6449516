import { startLoad } from './load.ts';
import type { LoopDelay, RunningServer } from './servers.ts';

export interface HeldMeasurement<R> {
  held: R;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Event-loop delay of the server while the connections were being opened. */
  loop: LoopDelay;
}

/**
 * For clients that open many long-lived connections (sockets, SSE streams): the client warms up
 * and says "warm"; we GC the server and read its RSS; on "go" it opens everything and says
 * "connected"; we read the loop delay, GC again, read RSS, and let it "release".
 */
export async function measureHeld<R>(server: RunningServer, client: string, params: unknown): Promise<HeldMeasurement<R>> {
  const load = startLoad<R>(client, params);
  try {
    await load.phase('warm');
    await server.settle();
    const rssBeforeBytes = server.rssBytes();
    await server.resetLoopDelay();
    load.command('go');
    const held = await load.phase<R>('connected');
    const loop = await server.readLoopDelay();
    await server.settle(1500);
    const rssAfterBytes = server.rssBytes();
    load.command('release');
    await load.result;
    return { held, rssBeforeBytes, rssAfterBytes, loop };
  } finally {
    await load.stop();
  }
}
