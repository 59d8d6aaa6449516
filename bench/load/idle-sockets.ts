import type { Target } from '../lib/servers.ts';
import { sleep } from '../lib/stats.ts';
import { dialects, pairOnce, type Dialect } from './dialects.ts';
import { HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { closeAll, connectMany, connectSocket, LOOPBACK_SOURCES, type SocketSpec } from './sockets.ts';

export interface IdleParams {
  target: Target;
  count: number;
  /** Relay only: whether the /device namespace exists yet. */
  withDevices: boolean;
  warmupCount: number;
  concurrency: number;
  deadlineMs: number;
}

export interface IdleResult {
  connected: number;
  failures: string[];
  elapsedMs: number;
  mix: Record<string, number>;
}

/**
 * The relay gets a realistic mix (10% kiosks, 30% devices when they exist, the rest dashboards);
 * the baseline gets plain sockets. Devices connect first: each device joining announces itself
 * to the home, and announcing to thousands of idle dashboards is not what this scenario measures.
 */
export function plan(dialect: Dialect, target: Target, token: string, count: number, withDevices: boolean, prefix: string): { specs: SocketSpec[]; mix: Record<string, number> } {
  const source = (i: number) => LOOPBACK_SOURCES[i % LOOPBACK_SOURCES.length];
  if (target.kind === 'baseline') {
    return { specs: Array.from({ length: count }, (_, i) => dialect.kiosk(target, source(i))), mix: { plain: count } };
  }
  const kiosks = Math.round(count * 0.1);
  const devices = withDevices ? Math.round(count * 0.3) : 0;
  const dashboards = count - kiosks - devices;
  const specs: SocketSpec[] = [];
  for (let i = 0; i < devices; i++) specs.push(dialect.device(target, `${prefix}-dev-${i}`, source(specs.length)));
  for (let i = 0; i < kiosks; i++) specs.push(dialect.kiosk(target, source(specs.length)));
  for (let i = 0; i < dashboards; i++) specs.push(dialect.dashboard(target, token, source(specs.length)));
  return { specs, mix: { kiosks, devices, dashboards } };
}

/** Connects `count` sockets, reports "connected", holds them until told to "release". */
export async function idleSocketsClient(raw: unknown, ctx: LoadContext): Promise<IdleResult> {
  const { target, count, withDevices, warmupCount, concurrency, deadlineMs } = raw as IdleParams;
  const dialect = dialects[target.kind];
  let token = '';
  if (target.kind === 'relay') {
    const http = new HttpClient(target.url);
    const kiosk = await connectSocket(dialect.kiosk(target));
    token = await pairOnce(dialect, http, kiosk).finally(() => {
      kiosk.close();
      http.close();
    });
  }
  // Warm-up: the server's first connections of each kind pay one-off costs (JIT, lazy modules) that are not per socket.
  const warm = await connectMany(plan(dialect, target, token, warmupCount, withDevices, 'warm').specs, { concurrency, deadlineMs });
  closeAll(warm.sockets);
  if (warm.failures.length > 0) throw new Error(`warm-up failed: ${warm.failures.slice(0, 3).join('; ')}`);
  await sleep(500);
  ctx.phase('warm');
  await ctx.waitFor('go');

  const { specs, mix } = plan(dialect, target, token, count, withDevices, 'idle');
  const run = await connectMany(specs, { concurrency, deadlineMs });
  const result: IdleResult = { connected: run.sockets.length, failures: run.failures.slice(0, 5), elapsedMs: run.elapsedMs, mix };
  ctx.phase('connected', result);
  await ctx.waitFor('release', 300_000);
  closeAll(run.sockets);
  return result;
}
