import type { Target } from '../lib/servers.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { closeAll, connectMany, connectSocket, type SocketSpec } from './sockets.ts';

/** A home made for the run (serial and hub key), created in the relay's store before it starts. */
export interface BenchHome {
  serial: string;
  hubKey: string;
}

/** Each home: 1 kiosk, 3 devices, 6 dashboards (10 %, 30 %, 60 %), as issue 16 asks. */
export const HOME_MIX = { kiosks: 1, devices: 3, dashboards: 6 } as const;
export const SOCKETS_PER_HOME = HOME_MIX.kiosks + HOME_MIX.devices + HOME_MIX.dashboards;

export interface IdlePacedParams {
  /** The relay's URL; each home's serial and key come in `homes`. */
  target: Target;
  /** This child's share of the homes; it opens SOCKETS_PER_HOME sockets for each. */
  homes: BenchHome[];
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
 * One of several children of the 100,000-socket scenario. Before "go" it pairs once per home
 * (the 6 dashboards of a home share that token) with a kiosk it closes again; on "go" it
 * connects each home's kiosk, devices and dashboards at its share of the rate, says
 * "connected", and holds everything until "release".
 */
export async function idlePacedClient(raw: unknown, ctx: LoadContext): Promise<IdlePacedResult> {
  const { target, homes, ratePerSec, sources, concurrency, deadlineMs } = raw as IdlePacedParams;
  const dialect = dialects.relay;
  const tokens = await pairEach(target, homes, 8);
  const specs: SocketSpec[] = [];
  homes.forEach((home, h) => {
    const at: Target = { ...target, serial: home.serial, hubKey: home.hubKey };
    specs.push(dialect.kiosk(at));
    for (let d = 0; d < HOME_MIX.devices; d++) specs.push(dialect.device(at, `lamp-${d}`));
    for (let d = 0; d < HOME_MIX.dashboards; d++) specs.push(dialect.dashboard(at, tokens[h] as string));
  });
  for (const [i, spec] of specs.entries()) spec.localAddress = sources[i % sources.length];
  ctx.phase('ready');
  await ctx.waitFor('go', 600_000);
  const run = await connectMany(specs, { concurrency, deadlineMs, ratePerSec, maxFailures: 50 });
  const mix = { kiosks: homes.length * HOME_MIX.kiosks, devices: homes.length * HOME_MIX.devices, dashboards: homes.length * HOME_MIX.dashboards };
  const result: IdlePacedResult = { connected: run.sockets.length, failures: run.failures.slice(0, 5), elapsedMs: run.elapsedMs, mix };
  ctx.phase('connected', result);
  await ctx.waitFor('release', 600_000);
  closeAll(run.sockets);
  return result;
}

/** One pairing per home, `parallel` homes at a time (each code goes only to its own home's kiosk). */
async function pairEach(target: Target, homes: readonly BenchHome[], parallel: number): Promise<string[]> {
  const dialect = dialects.relay;
  const tokens: string[] = new Array(homes.length);
  let next = 0;
  const worker = async () => {
    const http = new HttpClient(target.url);
    try {
      while (next < homes.length) {
        const index = next++;
        const home = homes[index] as BenchHome;
        const kiosk = await connectSocket(dialect.kiosk({ ...target, serial: home.serial, hubKey: home.hubKey }));
        tokens[index] = await pairOnce(dialect, http, kiosk, home.serial).finally(() => kiosk.close());
      }
    } finally {
      http.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, homes.length) }, worker));
  return tokens;
}
