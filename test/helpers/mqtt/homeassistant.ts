import type { MqttClient } from 'mqtt';
import { connectClient } from '../mosquitto.ts';

export interface FakeHaLight {
  client: MqttClient;
  state: { on: boolean; brightness: number };
  commands: { payload: Record<string, unknown>; retain: boolean }[];
  /** The wall switch: the light publishes its new state. */
  flip(): Promise<void>;
  setAvailable(available: boolean): Promise<void>;
  close(): Promise<void>;
}

export const haLightConfigTopic = (node: string) => `homeassistant/light/${node}/light/config`;

/**
 * A light announced with Home Assistant MQTT discovery as firmwares such as ESPHome do: retained
 * config with abbreviations and `~`, JSON schema, availability topic, state echoed after each command.
 */
export async function startFakeHaLight(url: string, node: string, name: string): Promise<FakeHaLight> {
  const base = `lights/${node}`;
  const client = await connectClient(url, { will: { topic: `${base}/status`, payload: Buffer.from('offline'), retain: true, qos: 1 } });
  const state = { on: false, brightness: 128 };
  const commands: FakeHaLight['commands'] = [];
  const publishState = () => client.publishAsync(`${base}/state`, JSON.stringify({ state: state.on ? 'ON' : 'OFF', brightness: state.brightness }), { retain: true });
  client.on('message', (_topic, payload, packet) => {
    const body = JSON.parse(payload.toString()) as { state?: string; brightness?: number };
    commands.push({ payload: body, retain: packet.retain });
    if (body.state) state.on = body.state === 'ON';
    if (typeof body.brightness === 'number') state.brightness = body.brightness;
    void publishState();
  });
  await client.subscribeAsync(`${base}/set`);
  const config = {
    '~': base,
    name,
    uniq_id: `${node}_light`,
    schema: 'json',
    brightness: true,
    stat_t: '~/state',
    cmd_t: '~/set',
    avty_t: '~/status',
    dev: { name, ids: [node] },
  };
  await client.publishAsync(haLightConfigTopic(node), JSON.stringify(config), { retain: true });
  await client.publishAsync(`${base}/status`, 'online', { retain: true });
  await publishState();
  return {
    client,
    state,
    commands,
    async flip() {
      state.on = !state.on;
      await publishState();
    },
    setAvailable: (available) => client.publishAsync(`${base}/status`, available ? 'online' : 'offline', { retain: true }).then(() => undefined),
    close: () => client.endAsync(true),
  };
}
