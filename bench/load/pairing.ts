import type { Target } from '../lib/servers.ts';
import type { SequentialSample } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { timeSequential } from './sequential.ts';
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
    return await timeSequential(() => pairOnce(dialect, http, kiosk), ctx, warmupMs, durationMs);
  } finally {
    kiosk.close();
    http.close();
  }
}
