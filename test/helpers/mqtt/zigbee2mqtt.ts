import type { MqttClient } from 'mqtt';
import { connectClient } from '../mosquitto.ts';

/** Exposes as zigbee2mqtt.io documents them for a dimmable bulb, a plug, a lock, a thermostat and a sensor. */
export const z2mExposes = {
  light: [
    {
      type: 'light',
      features: [
        { type: 'binary', name: 'state', property: 'state', value_on: 'ON', value_off: 'OFF', value_toggle: 'TOGGLE', access: 7 },
        { type: 'numeric', name: 'brightness', property: 'brightness', value_min: 0, value_max: 254, access: 7 },
      ],
    },
    { type: 'numeric', name: 'linkquality', property: 'linkquality', access: 1 },
  ],
  switch: [
    { type: 'switch', features: [{ type: 'binary', name: 'state', property: 'state', value_on: 'ON', value_off: 'OFF', value_toggle: 'TOGGLE', access: 7 }] },
    { type: 'numeric', name: 'power', property: 'power', access: 5 },
  ],
  lock: [{ type: 'lock', features: [{ type: 'binary', name: 'state', property: 'state', value_on: 'LOCK', value_off: 'UNLOCK', access: 7 }] }],
  climate: [
    {
      type: 'climate',
      features: [
        { type: 'numeric', name: 'occupied_heating_setpoint', property: 'occupied_heating_setpoint', access: 7 },
        { type: 'numeric', name: 'local_temperature', property: 'local_temperature', access: 5 },
      ],
    },
  ],
  sensor: [
    { type: 'numeric', name: 'temperature', property: 'temperature', access: 1 },
    { type: 'numeric', name: 'humidity', property: 'humidity', access: 1 },
  ],
};

export interface FakeZ2mDevice {
  friendly: string;
  exposes: unknown[];
  state: Record<string, unknown>;
}

export interface FakeZ2m {
  client: MqttClient;
  devices: Map<string, FakeZ2mDevice>;
  /** Every `/set` payload received, by friendly name. */
  sets: { friendly: string; payload: Record<string, unknown>; retain: boolean }[];
  /** Next sets for this device fail the way Z2M reports it (`bridge/response` error); `silent`: no answer at all. */
  failNext(friendly: string, how: 'error' | 'silent'): void;
  setAvailability(friendly: string, online: boolean): Promise<void>;
  /** A physical change (a wall switch): Z2M publishes the new state. */
  physical(friendly: string, change: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

/**
 * A zigbee2mqtt bridge as its docs describe it: the retained `bridge/devices` inventory, retained
 * availability per device, a state publish on `<base>/<friendly>` after every `/set`.
 */
export async function startFakeZ2m(url: string, devices: FakeZ2mDevice[], base = 'zigbee2mqtt'): Promise<FakeZ2m> {
  const client = await connectClient(url, { will: { topic: `${base}/bridge/state`, payload: Buffer.from('{"state":"offline"}'), retain: true, qos: 1 } });
  const byName = new Map(devices.map((d) => [d.friendly, { ...d, state: { ...d.state } }]));
  const sets: FakeZ2m['sets'] = [];
  const failing = new Map<string, 'error' | 'silent'>();
  // Sensors cannot be read (they sleep): the fake retains their state, as Z2M's per-device `retain` option does.
  const publishState = (d: FakeZ2mDevice) =>
    client.publishAsync(`${base}/${d.friendly}`, JSON.stringify({ ...d.state, linkquality: 120 }), { retain: d.exposes === z2mExposes.sensor });
  const announce = async () => {
    const inventory = [
      { ieee_address: '0x0000000000000000', type: 'Coordinator', friendly_name: 'Coordinator', definition: null },
      ...[...byName.values()].map((d, i) => ({
        ieee_address: `0x00158d00000000${String(i).padStart(2, '0')}`,
        type: 'Router',
        friendly_name: d.friendly,
        supported: true,
        disabled: false,
        definition: { model: 'TEST', vendor: 'Test', description: 'fake', exposes: d.exposes },
      })),
    ];
    await client.publishAsync(`${base}/bridge/state`, '{"state":"online"}', { retain: true });
    await client.publishAsync(`${base}/bridge/devices`, JSON.stringify(inventory), { retain: true });
    for (const d of byName.values()) {
      await client.publishAsync(`${base}/${d.friendly}/availability`, '{"state":"online"}', { retain: true });
      await publishState(d);
    }
  };
  client.on('message', (topic, payload, packet) => {
    const match = topic.match(new RegExp(`^${base}/(.+)/(set|get)$`));
    const d = match ? byName.get(match[1]!) : undefined;
    if (!d) return;
    if (match![2] === 'get') return void publishState(d);
    const body = JSON.parse(payload.toString()) as Record<string, unknown>;
    sets.push({ friendly: d.friendly, payload: { ...body }, retain: packet.retain });
    const failure = failing.get(d.friendly);
    if (failure) {
      failing.delete(d.friendly);
      if (failure === 'error') {
        void client.publishAsync(`${base}/bridge/response/device/set`, JSON.stringify({ data: { id: d.friendly }, status: 'error', error: `Publish 'set' 'state' to '${d.friendly}' failed: 'Error: Data request failed (MAC no ack)'` }));
      }
      return;
    }
    if (body.state === 'TOGGLE') body.state = d.state.state === 'ON' ? 'OFF' : 'ON';
    Object.assign(d.state, body);
    void publishState(d);
  });
  // Like the real bridge, it re-announces on every (re)connection to a broker that lost the retained inventory.
  client.on('connect', () => void client.subscribeAsync([`${base}/+/set`, `${base}/+/get`]).then(announce));
  await client.subscribeAsync([`${base}/+/set`, `${base}/+/get`]);
  await announce();
  return {
    client,
    devices: byName,
    sets,
    failNext: (friendly, how) => void failing.set(friendly, how),
    async setAvailability(friendly, online) {
      await client.publishAsync(`${base}/${friendly}/availability`, JSON.stringify({ state: online ? 'online' : 'offline' }), { retain: true });
    },
    async physical(friendly, change) {
      const d = byName.get(friendly)!;
      Object.assign(d.state, change);
      await publishState(d);
    },
    close: () => client.endAsync(true),
  };
}
