import mqtt from 'mqtt';
import type { Target } from '../lib/servers.ts';
import type { SequentialSample } from '../lib/stats.ts';
import { dialects, pairOnce } from './dialects.ts';
import { expectStatus, HttpClient } from './http.ts';
import type { LoadContext } from './protocol.ts';
import { timeSequential } from './sequential.ts';
import { connectSocket } from './sockets.ts';

export interface MqttCommandParams {
  target: Target;
  brokerUrl: string;
  warmupMs: number;
  durationMs: number;
}

const FRIENDLY = 'bench_lamp';
const DEVICE_ID = `zigbee2mqtt:${FRIENDLY}`;
const exposes = [{ type: 'light', features: [{ type: 'binary', name: 'state', property: 'state', value_on: 'ON', value_off: 'OFF', value_toggle: 'TOGGLE' }] }];

/**
 * Sequential REST command → relay publishes `/set` → a zigbee2mqtt-like bridge echoes the state at
 * once → 200: the `commands` scenario with the device behind a real broker instead of a socket.
 */
export async function mqttCommandClient(raw: unknown, ctx: LoadContext): Promise<SequentialSample> {
  const { target, brokerUrl, warmupMs, durationMs } = raw as MqttCommandParams;
  const dialect = dialects.relay;
  const http = new HttpClient(target.url);
  const kiosk = await connectSocket(dialect.kiosk(target));
  const bridge = await mqtt.connectAsync(brokerUrl);
  (bridge.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  let on = false;
  bridge.on('message', (topic) => {
    if (topic !== `zigbee2mqtt/${FRIENDLY}/set`) return;
    on = !on;
    bridge.publish(`zigbee2mqtt/${FRIENDLY}`, JSON.stringify({ state: on ? 'ON' : 'OFF', linkquality: 100 }));
  });
  await bridge.subscribeAsync(`zigbee2mqtt/${FRIENDLY}/set`);
  await bridge.publishAsync(
    'zigbee2mqtt/bridge/devices',
    JSON.stringify([{ friendly_name: FRIENDLY, type: 'Router', definition: { exposes } }]),
    { retain: true },
  );
  try {
    const token = await pairOnce(dialect, http, kiosk);
    const headers = { authorization: `Bearer ${token}` };
    // The relay's bridge connects on its own schedule: wait until the lamp is listed online.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await http.send('GET', `/api/v1/devices/${encodeURIComponent(DEVICE_ID)}`, { headers });
      if (res.status === 200 && (res.body as { online?: boolean }).online) break;
      if (Date.now() > deadline) throw new Error('the bridged lamp never came online');
      await new Promise((r) => setTimeout(r, 100));
    }
    const path = dialect.commandPath(DEVICE_ID);
    const once = async () => expectStatus(await http.send('POST', path, { body: { action: 'toggle' }, headers }), 200, 'mqtt command');
    return await timeSequential(once, ctx, warmupMs, durationMs);
  } finally {
    await bridge.publishAsync('zigbee2mqtt/bridge/devices', '', { retain: true }).catch(() => undefined);
    await bridge.endAsync(true);
    kiosk.close();
    http.close();
  }
}
