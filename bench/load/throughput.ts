import autocannon from 'autocannon';
import type { Target } from '../lib/servers.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { connectSocket } from './sockets.ts';

export interface ThroughputParams {
  target: Target;
  feature: 'devices' | 'me';
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface ThroughputResult {
  path: string;
  /** Requests completed in the measured window. */
  count: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

/** Authenticated GET with autocannon; a short unrecorded run first lets the JIT settle. */
export async function throughputClient(raw: unknown, ctx: LoadContext): Promise<ThroughputResult> {
  const { target, feature, connections, warmupSeconds, durationSeconds } = raw as ThroughputParams;
  const dialect = dialects[target.kind];
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  let token: string;
  try {
    token = await pairOnce(dialect, http, kiosk);
  } finally {
    kiosk.close();
    http.close();
  }
  const path = dialect.readPath(feature);
  const options = { url: `${target.url}${path}`, connections, headers: { authorization: `Bearer ${token}` } };
  await autocannon({ ...options, duration: warmupSeconds });
  ctx.phase('measuring');
  const result = await autocannon({ ...options, duration: durationSeconds });
  return {
    path,
    count: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
