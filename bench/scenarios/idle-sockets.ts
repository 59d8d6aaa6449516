import { measureHeld, type HeldMeasurement } from '../lib/held.ts';
import { withServer } from '../lib/with-server.ts';
import type { IdleParams, IdleResult } from '../load/idle-sockets.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

const perSocketKb = (m: HeldMeasurement<IdleResult>) => (m.rssAfterBytes - m.rssBeforeBytes) / 1024 / Math.max(1, m.held.connected);

/** Scenario 4: many idle sockets on one instance: memory per socket and loop delay while they connect. */
export const idleSockets: Scenario = {
  name: 'idle',
  title: 'Concurrent idle sockets on one instance',
  async run({ quick, features }) {
    const count = quick ? 1000 : 10_000;
    const base = { count, warmupCount: quick ? 100 : 200, concurrency: 50, deadlineMs: quick ? 60_000 : 180_000 };
    let mix = '';
    const relay = await withServer('relay', {}, (server) =>
      measureHeld<IdleResult>(server, 'idle-sockets', { target: server.target, withDevices: features.devices, ...base } satisfies IdleParams),
    );
    mix = Object.entries(relay.held.mix).map(([k, v]) => `${v} ${k}`).join(', ');
    const plain = await withServer('baseline', {}, (server) =>
      measureHeld<IdleResult>(server, 'idle-sockets', { target: server.target, withDevices: false, ...base } satisfies IdleParams),
    );
    const short = [relay, plain].filter((m) => m.held.connected < count);
    return {
      status: short.length > 0 ? 'failed' : 'ok',
      ...(short.length > 0 ? { reason: `only ${short.map((m) => m.held.connected).join(' / ')} of ${count} connected: ${short.flatMap((m) => m.held.failures).slice(0, 3).join('; ')}` } : {}),
      rows: [
        row(`RSS per socket (${count})`, 'KB', perSocketKb(relay), perSocketKb(plain), { op: '<=', ratio: 1.1 }),
        row('event-loop delay p99 while connecting', 'ms', relay.loop.p99, plain.loop.p99),
        row('event-loop delay max while connecting', 'ms', relay.loop.max, plain.loop.max),
        row(`time to connect all (${base.concurrency} in flight)`, 'ms', relay.held.elapsedMs, plain.held.elapsedMs),
      ],
      notes: [
        `relay mix: ${mix}; baseline: ${plain.held.connected} plain sockets.`,
        `server RSS: relay ${mb(relay.rssBeforeBytes)} → ${mb(relay.rssAfterBytes)} MB, baseline ${mb(plain.rssBeforeBytes)} → ${mb(plain.rssAfterBytes)} MB (after a forced GC).`,
      ],
    };
  },
};

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
