import { raisedFdLimit } from '../lib/children.ts';
import { startLoad, type LoadRun } from '../lib/load.ts';
import { startServer } from '../lib/servers.ts';
import { summarize, type SequentialSample } from '../lib/stats.ts';
import type { CommandParams } from '../load/commands.ts';
import { SOCKETS_PER_HOME, type BenchHome, type IdlePacedParams, type IdlePacedResult } from '../load/idle-paced.ts';
import { createHomes } from '../lib/homes.ts';
import { loopbackSources } from '../load/sockets.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Connections per second over all children (issue 16). */
const RATE = 2000;
/** File descriptors kept free in the relay for its store, logs and listening socket. */
const FD_HEADROOM = 500;
/** Sockets per load child: each child is a process of its own, with its own open-file limit. */
const PER_CHILD = 10_000;

/**
 * How many sockets to try: `BENCH_IDLE_SOCKETS` (default 100,000; 2,000 with --quick), capped by
 * the relay's open-file limit (`ulimit -n` raised to the hard limit): a socket is a descriptor.
 */
export function idleTarget(quick: boolean, env = process.env): { count: number; asked: number; fdLimit: number } {
  const asked = Number(env.BENCH_IDLE_SOCKETS ?? (quick ? 2000 : 100_000));
  if (!Number.isInteger(asked) || asked < 10) throw new Error(`BENCH_IDLE_SOCKETS must be an integer ≥ 10, got ${env.BENCH_IDLE_SOCKETS}`);
  const fdLimit = raisedFdLimit();
  // Whole homes of SOCKETS_PER_HOME sockets.
  const capped = Math.min(asked, fdLimit - FD_HEADROOM);
  return { count: capped - (capped % SOCKETS_PER_HOME), asked, fdLimit };
}

/**
 * Issue 16: N idle sockets on one relay (10 % kiosks, 30 % devices, 60 % dashboards) from several
 * child processes, sources rotated over 127.0.0.x, connecting at 2,000/s. Measures relay RSS per
 * socket, event-loop p99 while connecting, a command round trip while connected, and the SIGTERM
 * drain with everything still connected. Absolute targets (no baseline in this one).
 */
export const idle100k: Scenario = {
  name: 'idle100k',
  title: '100,000 idle sockets on one instance (issue 16)',
  async run({ quick }) {
    const { count, asked, fdLimit } = idleTarget(quick);
    const children = Math.max(2, Math.ceil(count / PER_CHILD));
    const sources = loopbackSources(Math.max(4, Math.ceil(count / 20_000)));
    const homeCount = Math.ceil(count / SOCKETS_PER_HOME);
    let homes: BenchHome[] = [];
    const server = await startServer('relay', {
      store: 'sqlite',
      raiseFdLimit: true,
      env: { ACCESS_TOKEN_TTL: '2h' },
      prepare: async (dataDir) => {
        homes = await createHomes(dataDir, homeCount);
      },
    });
    const loads: LoadRun<IdlePacedResult>[] = [];
    let drained = false;
    try {
      // Each child pairs once per home of its share before "go" (not measured).
      for (let i = 0; i < children; i++) {
        const params: IdlePacedParams = { target: server.target, homes: homes.filter((_, h) => h % children === i), ratePerSec: RATE / children, sources, concurrency: 500, deadlineMs: 600_000 };
        const load = startLoad<IdlePacedResult>('idle-paced', params, { raiseFdLimit: true, label: `load:idle-paced#${i}` });
        loads.push(load);
      }
      await Promise.all(loads.map((load) => load.phase('ready', 600_000)));
      await server.settle();
      const rssBeforeBytes = server.rssBytes();
      await server.resetLoopDelay();
      for (const load of loads) load.command('go');
      const held = await Promise.all(loads.map((load) => load.phase<IdlePacedResult>('connected', 900_000)));
      const loop = await server.readLoopDelay();
      await server.settle(2000);
      const rssAfterBytes = server.rssBytes();
      const connected = held.reduce((sum, h) => sum + h.connected, 0);
      const expected = homeCount * SOCKETS_PER_HOME;
      const connectMs = Math.max(...held.map((h) => h.elapsedMs));

      const commandRun = startLoad<SequentialSample>('commands', { target: server.target, warmupMs: 1000, durationMs: quick ? 2000 : 5000 } satisfies CommandParams);
      const sample = await commandRun.result.finally(() => commandRun.stop());
      const rtt = summarize(sample.latencies, sample.windowMs);

      const drain = await server.drain(30_000);
      drained = true;
      for (const load of loads) load.command('release');
      await Promise.allSettled(loads.map((load) => load.result));

      const perSocketKb = (rssAfterBytes - rssBeforeBytes) / 1024 / Math.max(1, connected);
      const mix = held.reduce<Record<string, number>>((acc, h) => {
        for (const [k, v] of Object.entries(h.mix)) acc[k] = (acc[k] ?? 0) + v;
        return acc;
      }, {});
      const failures = held.flatMap((h) => h.failures);
      const short = connected < expected;
      const cleanDrain = drain.how === '0';
      return {
        status: short || !cleanDrain ? 'failed' : 'ok',
        ...(short ? { reason: `only ${connected} of ${expected} connected: ${failures.slice(0, 3).join('; ')}` } : !cleanDrain ? { reason: `drain ended with ${drain.how}` } : {}),
        rows: [
          row(`relay RSS with ${connected} sockets (target ≤ 1,600 MB at 100k)`, 'MB', rssAfterBytes / 1024 / 1024, null),
          row('RSS per socket (target ≤ 16)', 'KB', perSocketKb, null),
          row(`event-loop delay p99 while connecting at ${RATE}/s (target ≤ 100)`, 'ms', loop.p99, null),
          row('event-loop delay max while connecting', 'ms', loop.max, null),
          row('command round trip p50 while connected (target ≤ 3)', 'ms', rtt.p50, null),
          row('command round trip p99 while connected', 'ms', rtt.p99, null),
          row('time to connect all', 'ms', connectMs, null),
          row('SIGTERM → exit with all connected', 'ms', drain.ms, null),
        ],
        notes: [
          `${connected} of ${expected} sockets in ${homeCount} homes (${Object.entries(mix).map(([k, v]) => `${v} ${k}`).join(', ')}; 1 kiosk, 3 devices, 6 dashboards sharing one token per home) from ${children} child processes over ${sources.length} source addresses.`,
          ...(count < asked ? [`asked for ${asked}; capped at ${count} by the open-file limit (${fdLimit}: the hard limit here, a socket is a descriptor). Scale with BENCH_IDLE_SOCKETS.`] : []),
          `relay RSS ${mb(rssBeforeBytes)} → ${mb(rssAfterBytes)} MB (after a forced GC); drain exit: ${drain.how}.`,
        ],
      };
    } finally {
      for (const load of loads) load.command('release');
      await Promise.allSettled(loads.map((load) => load.stop()));
      if (!drained) await server.stop();
    }
  },
};

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
