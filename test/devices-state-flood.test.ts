import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../src/devices/types.ts';
import { command, connectDevice, eventually, sleep } from './helpers/devices.ts';
import { closeSockets, connectDashboard, connectKiosk, emitAck, getJson, nextEvent, pair, startRelay, type TestRelay } from './helpers/relay.ts';

/** A device flooding `state`: bounded fan-out, one durable write a second, the latest state never lost. */

const recordKey = 'devices:record:home-1:lamp-1';

/** Counts durable writes of the lamp's record (every registry change is one `update` or `set`). */
function countWrites(relay: TestRelay): { count: () => number } {
  let writes = 0;
  const { store } = relay;
  const update = store.update.bind(store);
  store.update = ((key: string, fn: never) => {
    if (key === recordKey) writes++;
    return update(key, fn);
  }) as typeof store.update;
  return { count: () => writes };
}

const stored = (relay: TestRelay) => relay.store.get<DeviceRecord>(recordKey);

describe('device state floods', () => {
  let relay: TestRelay;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('coalesces a flood: fan-out within the rate, at most one write a second, dashboards and REST end on the final state', async () => {
    relay = await startRelay({ env: { DEVICE_STATE_RATE: '20', DEVICE_STATE_BURST: '10' } });
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const lamp = await connectDevice(relay);
    const dashboard = await connectDashboard(relay, token);
    const seen: number[] = [];
    dashboard.on('device:state', (d: { state: { n: number } }) => seen.push(d.state.n));
    const writes = countWrites(relay);

    const started = Date.now();
    for (let n = 1; n <= 2000; n++) {
      lamp.socket.emit('state', { state: { n } });
      if (n % 200 === 0) await sleep(100);
    }
    // The ack of a later message proves the relay has read every earlier one.
    expect(await emitAck(lamp.socket, 'state', { state: { n: 2001 } })).toEqual({ ok: true, data: {} });
    const elapsedS = (Date.now() - started) / 1000;
    await eventually(() => seen.at(-1) === 2001, 5000);
    await sleep(300);

    // Fan-out: the burst, then about one per token, plus the final reliable settle.
    expect(seen.length).toBeLessThanOrEqual(10 + Math.ceil(20 * (elapsedS + 0.5)) + 2);
    expect(seen.length).toBeLessThan(200);
    expect(seen.at(-1)).toBe(2001);
    expect((await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).body.state).toEqual({ n: 2001 });
    await eventually(async () => (await stored(relay))?.state.n === 2001, 3000);
    // Durable writes: at most one a second (plus the leading one).
    expect(writes.count()).toBeLessThanOrEqual(Math.ceil(elapsedS + 1.5) + 1);
  });

  it('keeps a device within its rate exact: every state goes out and is stored before the ack', async () => {
    relay = await startRelay();
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const lamp = await connectDevice(relay);
    const dashboard = await connectDashboard(relay, token);
    for (const n of [1, 2, 3]) {
      const arrives = nextEvent(dashboard, 'device:state');
      await emitAck(lamp.socket, 'state', { state: { n } });
      expect((await arrives).state).toEqual({ n });
      await sleep(1100);
      expect((await stored(relay))?.state).toEqual({ n });
    }
  });

  it('flushes the latest state when the device disconnects: device:offline carries it and the store has it', async () => {
    relay = await startRelay();
    const kiosk = await connectKiosk(relay);
    const lamp = await connectDevice(relay);
    for (let n = 1; n <= 300; n++) lamp.socket.emit('state', { state: { n } });
    await emitAck(lamp.socket, 'state', { state: { n: 301 } });
    const offline = nextEvent(kiosk, 'device:offline');
    lamp.socket.close();
    expect((await offline).state).toEqual({ n: 301 });
    expect((await stored(relay))?.state).toEqual({ n: 301 });
  });

  it('flushes the latest state on shutdown', async () => {
    relay = await startRelay({ keepStore: true });
    const lamp = await connectDevice(relay);
    for (let n = 1; n <= 300; n++) lamp.socket.emit('state', { state: { n } });
    await emitAck(lamp.socket, 'state', { state: { n: 301 } });
    const { store } = relay;
    await relay.close();
    expect((await store.get<DeviceRecord>(recordKey))?.state).toEqual({ n: 301 });
    await store.close();
    relay = undefined as never;
  });

  it('never lets a coalesced state written late overwrite a newer command reply', async () => {
    relay = await startRelay();
    const { token } = await pair(relay, { kiosk: await connectKiosk(relay) });
    const lamp = await connectDevice(relay);
    for (let n = 1; n <= 300; n++) lamp.socket.emit('state', { state: { on: true, n } });
    await emitAck(lamp.socket, 'state', { state: { on: true, n: 301 } });
    expect((await command(relay, token, 'lamp-1', { action: 'turn_off' })).status).toBe(200);
    await sleep(1500);
    expect((await stored(relay))?.state).toEqual({ on: false });
    expect((await getJson(`${relay.url}/api/v1/devices/lamp-1`, token)).body.state).toEqual({ on: false });
  });
});
