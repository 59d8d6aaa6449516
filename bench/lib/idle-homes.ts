import { startLoad, type LoadRun } from './load.ts';
import { createHomes } from './homes.ts';
import { startServer, type LoopDelay } from './servers.ts';
import { summarize, type LatencySummary, type SequentialSample } from './stats.ts';
import type { CommandParams } from '../load/commands.ts';
import { SOCKETS_PER_HOME, type BenchHome, type IdlePacedParams, type IdlePacedResult } from '../load/idle-paced.ts';
import { loopbackSources } from '../load/sockets.ts';

/** Sockets per load child: each child is a process of its own, with its own open-file limit. */
const PER_CHILD = 10_000;

export interface IdleHomesOptions {
  /** Sockets in total, rounded down to whole homes of SOCKETS_PER_HOME. */
  count: number;
  /** Connections per second over all children. */
  ratePerSec: number;
  /** How long the command round trip is timed while everything is connected. */
  commandMs: number;
  /** Extra relay flags (e.g. --heapsnapshot-signal). */
  relayExecArgv?: string[];
  /** Called before the sockets connect (after a GC), e.g. for a heap snapshot at 0 sockets. */
  beforeConnect?: (relayPid: number) => Promise<void>;
  /** Called with everything connected, before the command and the drain (e.g. a heap snapshot). */
  whileConnected?: (relayPid: number) => Promise<void>;
}

export interface IdleHomesMeasurement {
  homes: number;
  expected: number;
  connected: number;
  failures: string[];
  mix: Record<string, number>;
  children: number;
  sources: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** Relay event-loop delay while the sockets connected. */
  loop: LoopDelay;
  connectMs: number;
  /** REST command → device ack → 200, one at a time, for a device of the default home. */
  command: LatencySummary;
  /** SIGTERM with every socket still connected: time to exit and how ("0": clean). */
  drain: { ms: number; how: string };
}

/**
 * Issue 16's idle-socket run: homes of 1 kiosk, 3 devices and 6 dashboards created in the relay's
 * SQLite store before it starts; children pair once per home, then connect their share at their
 * share of the rate with sources rotated over 127.0.0.x. RSS and loop delay around the connect,
 * a command round trip while connected, then SIGTERM with everything still connected.
 */
export async function measureIdleHomes(options: IdleHomesOptions): Promise<IdleHomesMeasurement> {
  const homeCount = Math.floor(options.count / SOCKETS_PER_HOME);
  const children = Math.max(2, Math.ceil(options.count / PER_CHILD));
  const sources = loopbackSources(Math.max(4, Math.ceil(options.count / 20_000)));
  let homes: BenchHome[] = [];
  const server = await startServer('relay', {
    store: 'sqlite',
    raiseFdLimit: true,
    env: { ACCESS_TOKEN_TTL: '2h' },
    ...(options.relayExecArgv ? { execArgv: options.relayExecArgv } : {}),
    prepare: async (dataDir) => {
      homes = await createHomes(dataDir, homeCount);
    },
  });
  const loads: LoadRun<IdlePacedResult>[] = [];
  let drained = false;
  try {
    // Each child pairs once per home of its share before "go" (not measured).
    for (let i = 0; i < children; i++) {
      const params: IdlePacedParams = {
        target: server.target,
        homes: homes.filter((_, h) => h % children === i),
        ratePerSec: options.ratePerSec / children,
        sources,
        concurrency: 500,
        deadlineMs: 600_000,
      };
      loads.push(startLoad<IdlePacedResult>('idle-paced', params, { raiseFdLimit: true, label: `load:idle-paced#${i}` }));
    }
    await Promise.all(loads.map((load) => load.phase('ready', 600_000)));
    await options.beforeConnect?.(server.pid);
    await server.settle();
    const rssBeforeBytes = server.rssBytes();
    await server.resetLoopDelay();
    for (const load of loads) load.command('go');
    const held = await Promise.all(loads.map((load) => load.phase<IdlePacedResult>('connected', 900_000)));
    const loop = await server.readLoopDelay();
    await server.settle(2000);
    const rssAfterBytes = server.rssBytes();
    await options.whileConnected?.(server.pid);

    const commandRun = startLoad<SequentialSample>('commands', { target: server.target, warmupMs: 1000, durationMs: options.commandMs } satisfies CommandParams);
    const sample = await commandRun.result.finally(() => commandRun.stop());

    const drain = await server.drain(30_000);
    drained = true;
    const mix: Record<string, number> = {};
    for (const h of held) for (const [k, v] of Object.entries(h.mix)) mix[k] = (mix[k] ?? 0) + v;
    return {
      homes: homeCount,
      expected: homeCount * SOCKETS_PER_HOME,
      connected: held.reduce((sum, h) => sum + h.connected, 0),
      failures: held.flatMap((h) => h.failures),
      mix,
      children,
      sources: sources.length,
      rssBeforeBytes,
      rssAfterBytes,
      loop,
      connectMs: Math.max(...held.map((h) => h.elapsedMs)),
      command: summarize(sample.latencies, sample.windowMs),
      drain,
    };
  } finally {
    for (const load of loads) load.command('release');
    await Promise.allSettled(loads.map((load) => load.stop()));
    if (!drained) await server.stop();
  }
}

export const perSocketKb = (m: IdleHomesMeasurement): number => (m.rssAfterBytes - m.rssBeforeBytes) / 1024 / Math.max(1, m.connected);
