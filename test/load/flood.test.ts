import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceAuth, eventually, sleep } from '../helpers/devices.ts';
import { type MainProcess, startMain, stopAll } from '../helpers/main-process.ts';
import { closeSockets, connectDashboard, connectKiosk, connectSocket, HUB_KEY, JWT_SECRET, pair, stallReading } from '../helpers/relay.ts';

/**
 * Issue 12's attack, measured on the real entry point in its own process (so its RSS is the
 * relay's alone): one device sends 2,000 state messages a second while 5 dashboards stop reading
 * their sockets and 50 keep reading. FLOOD_SECONDS shortens it (CI).
 */
const SECONDS = Number(process.env.FLOOD_SECONDS ?? 30);
const RATE = 2000;
const HEALTHY = 50;
const STALLED = 5;

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
};

/** The relay's event-loop delay since the previous scrape (prom-client resets its histogram per collect), in ms. */
async function loopDelay(url: string): Promise<{ p99: number; max: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) * 1000;
  return { p99: read('nodejs_eventloop_lag_p99_seconds'), max: read('nodejs_eventloop_lag_max_seconds') };
}

describe(`flood: one device at ${RATE} state messages/s for ${SECONDS} s, ${STALLED} stalled and ${HEALTHY} healthy dashboards`, () => {
  it('keeps RSS growth ≤ 50 MB and event-loop p99 ≤ 100 ms; healthy dashboards end on the final state', async () => {
    const relay: MainProcess = await startMain({ JWT_SECRET, HUB_KEY, STORE: 'sqlite', RATE_LIMITS: 'off', LOG_LEVEL: 'warn' });
    const pid = relay.child.pid!;
    try {
      const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
      const device = await connectSocket(`${relay.url}/device`, deviceAuth({ state: { n: 0 } }));
      const healthy = await Promise.all(Array.from({ length: HEALTHY }, () => connectDashboard(relay, token)));
      const stalled = await Promise.all(Array.from({ length: STALLED }, () => connectDashboard(relay, token)));
      const last = healthy.map(() => -1);
      healthy.forEach((socket, i) => {
        socket.on('device:state', (d: { state: { n: number } }) => (last[i] = d.state.n));
      });
      for (const socket of stalled) stallReading(socket);
      await eventually(async () => (await (await fetch(`${relay.url}/api/v1/devices/lamp-1`, { headers: { authorization: `Bearer ${token}` } })).json()).online === true);

      // 20 messages every 10 ms, paced against the wall clock so a slow tick catches up.
      let n = 0;
      const padding = 'x'.repeat(200);
      const flood = async (seconds: number) => {
        const started = Date.now();
        const first = n;
        while (Date.now() - started < seconds * 1000) {
          const due = first + Math.floor(((Date.now() - started) * RATE) / 1000);
          while (n < due) device.emit('state', { state: { n: ++n, padding } });
          await sleep(10);
        }
        return (n - first) / ((Date.now() - started) / 1000);
      };
      // RSS counts from before the first message; the loop histogram restarts after a warm-up (JIT, first SQLite writes).
      const rssBefore = rssMb(pid);
      let rssPeak = rssBefore;
      const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 200);
      await flood(Math.max(2, SECONDS * 0.1));
      await loopDelay(relay.url);
      const sentPerSecond = await flood(SECONDS);
      const loop = await loopDelay(relay.url);
      // An acknowledged last message: everything before it has been read by the relay.
      const final = ++n;
      await device.timeout(10_000).emitWithAck('state', { state: { n: final, padding } });
      await eventually(() => last.every((seen) => seen === final), 10_000).catch(() => undefined);
      clearInterval(sampler);
      rssPeak = Math.max(rssPeak, rssMb(pid));

      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      const cut = /relay_slow_consumers_disconnected_total\{namespace="\/"\} (\d+)/.exec(metrics)?.[1] ?? '0';
      console.log(JSON.stringify({ seconds: SECONDS, sentPerSecond: Math.round(sentPerSecond), rssBefore, rssPeak, growthMb: rssPeak - rssBefore, loopP99Ms: loop.p99, loopMaxMs: loop.max, stalledCut: Number(cut) }));

      expect(sentPerSecond).toBeGreaterThan(RATE * 0.9);
      expect(last.filter((seen) => seen !== final)).toEqual([]);
      expect(rssPeak - rssBefore).toBeLessThanOrEqual(50);
      expect(loop.p99).toBeLessThanOrEqual(100);
    } finally {
      closeSockets();
      await stopAll([relay]);
    }
  });
});
