import type { Target } from '../lib/servers.ts';
import type { SequentialSample } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { connectSocket } from './sockets.ts';

export interface PairingParams {
  target: Target;
  warmupMs: number;
  durationMs: number;
}

/** Sequential pairing round trips (request → kiosk receives → claim → token), one at a time. */
export async function pairingClient(raw: unknown, ctx: LoadContext): Promise<SequentialSample> {
  const { target, warmupMs, durationMs } = raw as PairingParams;
  const dialect = dialects[target.kind];
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  try {
    const warmupEnd = performance.now() + warmupMs;
    while (performance.now() < warmupEnd) await pairOnce(dialect, http, kiosk);
    ctx.phase('measuring');
    const latencies: number[] = [];
    const started = performance.now();
    const end = started + durationMs;
    while (performance.now() < end) {
      const t0 = performance.now();
      await pairOnce(dialect, http, kiosk);
      latencies.push(performance.now() - t0);
    }
    return { latencies, windowMs: performance.now() - started, count: latencies.length };
  } finally {
    kiosk.close();
    http.close();
  }
}
