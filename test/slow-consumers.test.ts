import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.ts';
import { heldBytes, watchSlowConsumers } from '../src/realtime/slow-consumers.ts';
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
    let overSince: number | undefined;
    const sampler = setInterval(() => {
      for (const socket of dashboards.sockets.values()) {
        const held = heldBytes(socket.conn as never);
        maxHeld = Math.max(maxHeld, held);
        if (held > LIMIT) overSince ??= Date.now();
      }
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
    // Cut when a tick's states would have taken it past the limit: it never held more (API.md: "never
    // makes the server buffer more than SOCKET_MAX_BUFFER for it").
    expect(overSince, `held ${maxHeld} bytes`).toBeUndefined();
    expect(maxHeld).toBeLessThanOrEqual(LIMIT);
    expect(maxHeld).toBeGreaterThan(LIMIT / 2); // it did fill up: the rule, not luck, cut it
    expect(healthy.connected).toBe(true);
    lamp.socket.emit('state', { state: { n: ++n } });
    await eventually(() => last === n, 5000);

    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/relay_slow_consumers_disconnected_total\{namespace="\/"\} 1/);
    expect((await getJson(`${relay.url}/healthz`)).status).toBe(200);
  });
});

describe('slow-consumer rule', () => {
  /** A connection whose held bytes a test sets: engine.io's queue as one packet of `held` characters. */
  const fakeConn = (held: number) => ({
    held,
    closed: 0,
    transport: { name: 'polling' },
    get writeBuffer() {
      return [{ data: 'x'.repeat(this.held) }];
    },
    close() {
      this.closed++;
    },
  });

  it('cuts at once past 4× the limit, after a second sweep without draining past the limit, never a draining reader', async () => {
    const limit = 10_000;
    const conns = { huge: fakeConn(5 * limit), stuck: fakeConn(2 * limit), draining: fakeConn(3 * limit), fine: fakeConn(limit) };
    const sockets = new Map(Object.entries(conns).map(([id, conn]) => [id, { id, conn }]));
    // A cut connection leaves the namespace, as a real one does.
    const io = { of: () => ({ sockets: new Map([...sockets].filter(([, socket]) => socket.conn.closed === 0)) }) } as never;
    const cut: string[] = [];
    // Sweeps are driven by the test: the rule, not the timer, is under test.
    const watch = watchSlowConsumers(io, ['/'], { maxBufferBytes: limit, everyMs: 3_600_000, logger: createLogger('silent'), onDisconnect: (ns) => cut.push(ns) });
    try {
      watch.sweep();
      expect([conns.huge.closed, conns.stuck.closed, conns.draining.closed]).toEqual([1, 0, 0]);
      for (let i = 0; i < 5; i++) {
        conns.draining.held -= 2000; // still over the limit, but shrinking
        watch.sweep();
      }
      expect(conns.stuck.closed).toBe(1);
      expect([conns.draining.closed, conns.fine.closed]).toEqual([0, 0]);
      conns.draining.held += 2000; // it stopped draining
      watch.sweep();
      expect(conns.draining.closed).toBe(1);
      expect(cut).toEqual(['/', '/', '/']);
    } finally {
      watch.stop();
    }
  });

  it('refuses a flush that would hold more than the limit, except one batch to a connection that held nothing', () => {
    const limit = 10_000;
    const wsConn = (queued: number, buffered: number) => ({
      closed: 0,
      terminated: 0,
      writeBuffer: [{ data: 'x'.repeat(queued) }],
      transport: {
        name: 'websocket',
        socket: {
          bufferedAmount: buffered,
          terminate() {
            wsConn.terminations++;
          },
        },
      },
      close() {
        this.closed++;
      },
    });
    wsConn.terminations = 0;
    const conns = { small: wsConn(limit, 0), bigFirst: wsConn(3 * limit, 0), behind: wsConn(limit / 2, limit), piledUp: wsConn(2 * limit, 0) };
    const sockets = new Map(Object.entries(conns).map(([id, conn]) => [id, { id, conn }]));
    const io = { of: () => ({ sockets }) } as never;
    const cut: string[] = [];
    const watch = watchSlowConsumers(io, ['/'], { maxBufferBytes: limit, everyMs: 3_600_000, logger: createLogger('silent'), onDisconnect: (ns) => cut.push(ns) });
    try {
      expect(watch.flushGuard(conns.small as never, 0)).toBe(true); // exactly the limit
      expect(watch.flushGuard(conns.bigFirst as never, 0)).toBe(true); // one big ack to a reader that kept up
      expect(watch.flushGuard(conns.behind as never, 0)).toBe(false); // unread bytes plus these pass the limit
      expect(watch.flushGuard(conns.piledUp as never, 3)).toBe(false); // packets were already waiting
      expect([conns.small.closed, conns.bigFirst.closed, conns.behind.closed, conns.piledUp.closed]).toEqual([0, 0, 1, 1]);
      expect(wsConn.terminations).toBe(2);
      expect(cut).toEqual(['/', '/']);
      // A connection of no watched namespace is left alone.
      expect(watch.flushGuard(wsConn(5 * limit, limit) as never, 2)).toBe(true);
    } finally {
      watch.stop();
    }
  });
});
