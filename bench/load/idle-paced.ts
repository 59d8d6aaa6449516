import type { Target } from '../lib/servers.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import { plan } from './idle-sockets.ts';
import type { LoadContext } from './protocol.ts';
import { closeAll, connectMany, connectSocket } from './sockets.ts';

export interface IdlePacedParams {
  target: Target;
  /** Sockets this child opens (its share of the total). */
  count: number;
  /** Names its devices apart from the other children's. */
  prefix: string;
  /** Connections per second this child starts (its share of the total rate). */
  ratePerSec: number;
  /** Source addresses rotated over (localAddress), so no source runs out of ephemeral ports. */
  sources: string[];
  concurrency: number;
  deadlineMs: number;
}

export interface IdlePacedResult {
  connected: number;
  failures: string[];
  elapsedMs: number;
  mix: Record<string, number>;
}

/**
 * One of several children of the 100,000-socket scenario: pairs once (its dashboards share the
 * token), says "ready", on "go" connects its share at its share of the rate, says "connected",
 * holds everything until "release". Devices connect first (see plan in idle-sockets.ts).
 */
export async function idlePacedClient(raw: unknown, ctx: LoadContext): Promise<IdlePacedResult> {
  const { target, count, prefix, ratePerSec, sources, concurrency, deadlineMs } = raw as IdlePacedParams;
  const dialect = dialects.relay;
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  const token = await pairOnce(dialect, http, kiosk).finally(() => {
    kiosk.close();
    http.close();
  });
  const { specs, mix } = plan(dialect, target, token, count, true, prefix);
  specs.forEach((spec, i) => (spec.localAddress = sources[i % sources.length]));
  ctx.phase('ready');
  await ctx.waitFor('go', 600_000);
  const run = await connectMany(specs, { concurrency, deadlineMs, ratePerSec, maxFailures: 50 });
  const result: IdlePacedResult = { connected: run.sockets.length, failures: run.failures.slice(0, 5), elapsedMs: run.elapsedMs, mix };
  ctx.phase('connected', result);
  await ctx.waitFor('release', 600_000);
  closeAll(run.sockets);
  return result;
}
