import type { Socket } from 'socket.io-client';
import type { ServerKind, Target } from '../lib/servers.ts';
import { percentile, sleep } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import { closeAll, connectMany, connectSocket, LOOPBACK_SOURCES } from './sockets.ts';

export interface FanoutParams {
  targets: Target[];
  dashboards: number;
  warmupRepeats: number;
  repeats: number;
  concurrency: number;
  deadlineMs: number;
}

export interface FanoutTimes {
  p50: number;
  p99: number;
  max: number;
}

export type FanoutResult = Partial<Record<ServerKind, FanoutTimes>>;

const DEVICE_ID = 'bench-fanout-lamp';

/** One server's dashboards and device, and a way to time one state change through it. */
interface Rig {
  kind: ServerKind;
  sockets: Socket[];
  device: Socket;
  once(): Promise<number>;
}

async function rig(target: Target, dashboards: number, concurrency: number, deadlineMs: number): Promise<Rig> {
  const dialect = dialects[target.kind];
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  const token = await pairOnce(dialect, http, kiosk).finally(() => {
    kiosk.close();
    http.close();
  });
  const specs = Array.from({ length: dashboards }, (_, i) => dialect.dashboard(target, token, LOOPBACK_SOURCES[i % LOOPBACK_SOURCES.length]));
  const run = await connectMany(specs, { concurrency, deadlineMs });
  if (run.failures.length > 0) {
    closeAll(run.sockets);
    throw new Error(`${target.kind}: dashboards failed to connect: ${run.failures.slice(0, 3).join('; ')}`);
  }
  const device = await connectSocket(dialect.device(target, DEVICE_ID));
  let level = 0;
  let received = 0;
  let allIn: (() => void) | undefined;
  for (const socket of run.sockets) {
    socket.on('device:state', (payload: { state?: { level?: number } }) => {
      if (payload?.state?.level !== level) return;
      if (++received === dashboards) allIn?.();
    });
  }
  return {
    kind: target.kind,
    sockets: run.sockets,
    device,
    async once() {
      level += 1;
      received = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${target.kind}: only ${received}/${dashboards} dashboards got the state within 10 s`)), 10_000);
        allIn = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const t0 = performance.now();
      device.emit('state', { state: { on: true, level } });
      await done;
      return performance.now() - t0;
    },
  };
}

/**
 * A device reports a state change; we time until the last of N dashboards has it. Both servers'
 * dashboards live in this one process and state changes alternate between them, so each meets
 * the same machine load. Sender and receivers share one clock; the client's own decoding of N
 * messages is in the figure, equally for both.
 */
export async function fanoutClient(raw: unknown): Promise<FanoutResult> {
  const { targets, dashboards, warmupRepeats, repeats, concurrency, deadlineMs } = raw as FanoutParams;
  const rigs: Rig[] = [];
  try {
    for (const target of targets) rigs.push(await rig(target, dashboards, concurrency, deadlineMs));
    for (let i = 0; i < warmupRepeats; i++) for (const r of rigs) await r.once();
    const times = new Map<ServerKind, number[]>(rigs.map((r) => [r.kind, []]));
    for (let i = 0; i < repeats; i++) {
      const order = i % 2 === 0 ? rigs : [...rigs].reverse();
      for (const r of order) {
        await sleep(50);
        times.get(r.kind)?.push(await r.once());
      }
    }
    const result: FanoutResult = {};
    for (const [kind, t] of times) result[kind] = { p50: percentile(t, 50), p99: percentile(t, 99), max: Math.max(...t) };
    return result;
  } finally {
    for (const r of rigs) {
      r.device.close();
      closeAll(r.sockets);
    }
  }
}
