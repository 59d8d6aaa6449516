import { afterEach, describe, expect, it } from 'vitest';
import { heldBytes } from '../src/realtime/slow-consumers.ts';
import { connectDevice, eventually, sleep } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, getJson, pair, stallReading, startRelay, type TestRelay } from './helpers/relay.ts';

/** A dashboard that stops reading must not make the relay hold more than SOCKET_MAX_BUFFER for it. */

const LIMIT = 256 * 1024;

describe('slow consumers', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('cuts a dashboard that stops reading before the relay holds more than SOCKET_MAX_BUFFER for it; others carry on', async () => {
    relay = await startRelay({ env: { SOCKET_MAX_BUFFER: String(LIMIT), DEVICE_STATE_RATE: '400', DEVICE_STATE_BURST: '400' } });
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const lamp = await connectDevice(relay);
    const healthy = await connectDashboard(relay, token);
    const stalled = await connectDashboard(relay, token);
    const stalledId = stalled.id;
    let last = 0;
    healthy.on('device:state', (d: { state: { n: number } }) => (last = d.state.n));
    stallReading(stalled);

    const dashboards = relay.server.io.of('/');
    let maxHeld = 0;
    const sampler = setInterval(() => {
      for (const socket of dashboards.sockets.values()) maxHeld = Math.max(maxHeld, heldBytes(socket.conn as never));
    }, 20);
    // Within the rate, so every state is a reliable emit: ~2.8 MB/s the stalled dashboard never reads.
    const padding = 'x'.repeat(7000);
    let n = 0;
    const deadline = Date.now() + 30_000;
    try {
      while ([...dashboards.sockets.values()].some((s) => s.id === stalledId) && Date.now() < deadline) {
        for (let i = 0; i < 20; i++) lamp.socket.emit('state', { state: { n: ++n, padding } });
        await sleep(50);
      }
    } finally {
      clearInterval(sampler);
    }
    expect([...dashboards.sockets.values()].map((s) => s.id)).not.toContain(stalledId);
    // One sweep (250 ms) of traffic past the limit at most.
    expect(maxHeld).toBeLessThan(LIMIT + 1024 * 1024);
    expect(healthy.connected).toBe(true);
    lamp.socket.emit('state', { state: { n: ++n } });
    await eventually(() => last === n, 5000);

    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/relay_slow_consumers_disconnected_total\{namespace="\/"\} 1/);
    expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
  });
});
