import type { Socket } from 'socket.io-client';
import type { Target } from '../lib/servers.ts';
import { percentile, sleep } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { HttpClient } from './http.ts';
import { closeAll, connectMany, connectSocket, LOOPBACK_SOURCES } from './sockets.ts';

export interface FanoutParams {
  target: Target;
  dashboards: number;
  warmupRepeats: number;
  repeats: number;
  concurrency: number;
  deadlineMs: number;
}

export interface FanoutResult {
  dashboards: number;
  repeats: number;
  p50: number;
  p99: number;
  max: number;
}

const DEVICE_ID = 'bench-fanout-lamp';

/**
 * A device reports a state change; we time until the last of N dashboards has it. Sender and
 * receivers share this process (one clock), so the client's own decoding of N messages is in the
 * figure, equally for both servers.
 */
export async function fanoutClient(raw: unknown): Promise<FanoutResult> {
  const { target, dashboards, warmupRepeats, repeats, concurrency, deadlineMs } = raw as FanoutParams;
  const dialect = dialects[target.kind];
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  const token = await pairOnce(dialect, http, kiosk).finally(() => {
    kiosk.close();
    http.close();
  });
  const specs = Array.from({ length: dashboards }, (_, i) => dialect.dashboard(target, token, LOOPBACK_SOURCES[i % LOOPBACK_SOURCES.length]));
  const run = await connectMany(specs, { concurrency, deadlineMs });
  let device: Socket | undefined;
  try {
    if (run.failures.length > 0) throw new Error(`dashboards failed to connect: ${run.failures.slice(0, 3).join('; ')}`);
    device = await connectSocket(dialect.device(target, DEVICE_ID));
    let level = 0;
    let received = 0;
    let allIn: (() => void) | undefined;
    for (const socket of run.sockets) {
      socket.on('device:state', (payload: { state?: { level?: number } }) => {
        if (payload?.state?.level !== level) return;
        if (++received === dashboards) allIn?.();
      });
    }
    const once = async (): Promise<number> => {
      level += 1;
      received = 0;
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${received}/${dashboards} dashboards got the state within 10 s`)), 10_000);
        allIn = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      const t0 = performance.now();
      device?.emit('state', { state: { on: true, level } });
      await done;
      return performance.now() - t0;
    };
    for (let i = 0; i < warmupRepeats; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      await sleep(100);
      times.push(await once());
    }
    return { dashboards, repeats, p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) };
  } finally {
    device?.close();
    closeAll(run.sockets);
  }
}
