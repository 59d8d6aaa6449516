import { raisedFdLimit } from '../lib/children.ts';
import { measureIdleHomes, perSocketKb } from '../lib/idle-homes.ts';
import { SOCKETS_PER_HOME } from '../load/idle-paced.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Connections per second over all children (issue 16). */
const RATE = 2000;
/** File descriptors kept free in the relay for its store, logs and listening socket. */
const FD_HEADROOM = 500;

/**
 * How many sockets to try: `BENCH_IDLE_SOCKETS` (default 100,000; 2,000 with --quick), capped by
 * the relay's open-file limit (`ulimit -n` raised to the hard limit): a socket is a descriptor.
 */
export function idleTarget(quick: boolean, env = process.env): { count: number; asked: number; fdLimit: number } {
  const asked = Number(env.BENCH_IDLE_SOCKETS ?? (quick ? 2000 : 100_000));
  if (!Number.isInteger(asked) || asked < SOCKETS_PER_HOME) throw new Error(`BENCH_IDLE_SOCKETS must be an integer ≥ ${SOCKETS_PER_HOME}, got ${env.BENCH_IDLE_SOCKETS}`);
  const fdLimit = raisedFdLimit();
  const capped = Math.min(asked, fdLimit - FD_HEADROOM);
  return { count: capped - (capped % SOCKETS_PER_HOME), asked, fdLimit };
}

/**
 * Issue 16: N idle sockets on one relay (10 % kiosks, 30 % devices, 60 % dashboards) from several
 * child processes, connecting at 2,000/s. Absolute targets: there is no baseline in this one.
 */
export const idle100k: Scenario = {
  name: 'idle100k',
  title: '100,000 idle sockets on one instance (issue 16)',
  async run({ quick }) {
    const { count, asked, fdLimit } = idleTarget(quick);
    const m = await measureIdleHomes({ count, ratePerSec: RATE, commandMs: quick ? 2000 : 5000 });
    const short = m.connected < m.expected;
    const clean = m.drain.how === '0';
    return {
      status: short || !clean ? 'failed' : 'ok',
      ...(short ? { reason: `only ${m.connected} of ${m.expected} connected: ${m.failures.slice(0, 3).join('; ')}` } : !clean ? { reason: `drain ended with ${m.drain.how}` } : {}),
      rows: [
        row(`relay RSS with ${m.connected} sockets (target ≤ 1,600 MB at 100k)`, 'MB', m.rssAfterBytes / 1024 / 1024, null),
        row('RSS per socket (target ≤ 16)', 'KB', perSocketKb(m), null),
        row(`event-loop delay p99 while connecting at ${RATE}/s (target ≤ 100)`, 'ms', m.loop.p99, null),
        row('event-loop delay max while connecting', 'ms', m.loop.max, null),
        row('command round trip p50 while connected (target ≤ 3)', 'ms', m.command.p50, null),
        row('command round trip p99 while connected', 'ms', m.command.p99, null),
        row('time to connect all', 'ms', m.connectMs, null),
        row('SIGTERM → exit with all connected', 'ms', m.drain.ms, null),
      ],
      notes: [
        `${m.connected} of ${m.expected} sockets in ${m.homes} homes (${Object.entries(m.mix).map(([k, v]) => `${v} ${k}`).join(', ')}; per home 1 kiosk, 3 devices, 6 dashboards sharing one token) from ${m.children} child processes over ${m.sources} source addresses.`,
        ...(count < asked ? [`asked for ${asked}; capped at ${count} by the open-file limit (${fdLimit}, the hard limit here: a socket is a descriptor). Scale with BENCH_IDLE_SOCKETS.`] : []),
        `relay RSS ${mb(m.rssBeforeBytes)} → ${mb(m.rssAfterBytes)} MB (after a forced GC); drain exit: ${m.drain.how}.`,
      ],
    };
  },
};

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
