import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../src/devices/types.ts';
import { command, connectDevice, eventually } from './helpers/devices.ts';
import { closeSockets, getJson, pair, startRelay, tempDir, type TestRelay } from './helpers/relay.ts';

describe('devices on the durable store', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('keeps idempotency results across a restart and marks devices left online as offline', async () => {
    const env = { STORE: 'sqlite', DATA_DIR: tempDir() };
    relay = await startRelay({ env });
    const { token } = await pair(relay);
    const lamp = await connectDevice(relay, { onCommand: () => ({ ok: true, state: { on: true } }) });
    const first = await command(relay, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'restart' });
    expect(first.status).toBe(200);
    lamp.socket.io.engine.close();
    await relay.server.close();
    // As after a crash: the registry still says "online" for a connection that no longer exists.
    await relay.store.update<DeviceRecord, void>('devices:record:home-1:lamp-1', (r) => ({ next: r && { ...r, online: true, connectionId: 'gone' }, result: undefined }));
    await relay.store.close();
    relay = undefined;

    relay = await startRelay({ env });
    const restarted = relay;
    await eventually(async () => (await getJson(`${restarted.url}/api/v1/devices/lamp-1`, token)).body.online === false);
    const replay = await command(restarted, token, 'lamp-1', { action: 'turn_on' }, { 'idempotency-key': 'restart' });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(lamp.commands).toHaveLength(1);
  });
});
