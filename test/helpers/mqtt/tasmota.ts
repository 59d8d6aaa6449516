import type { MqttClient } from 'mqtt';
import { connectClient } from '../mosquitto.ts';

export interface FakeTasmota {
  client: MqttClient;
  topic: string;
  /** Every cmnd received: [command, payload, retained]. */
  commands: [string, string, boolean][];
  state: { power: boolean; dimmer: number };
  /** The relay on the wall pressed: Tasmota publishes the RESULT and a STATE. */
  press(): Promise<void>;
  /** The plug loses power: the broker publishes its will (LWT Offline). */
  crash(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Tasmota plug (or dimmer) as tasmota.github.io documents it: retained discovery config, a
 * retained LWT (`Online`, will `Offline`), `cmnd/<topic>/POWER` answered on `stat/<topic>/RESULT`,
 * unknown commands answered `{"Command":"Unknown"}`. `discovery: false` announces only by LWT.
 */
export async function startFakeTasmota(
  url: string,
  options: { topic: string; name?: string; dimmer?: boolean; discovery?: boolean; mac?: string; login?: { username: string; password: string } },
): Promise<FakeTasmota> {
  const { topic } = options;
  const client = await connectClient(url, { ...options.login, will: { topic: `tele/${topic}/LWT`, payload: Buffer.from('Offline'), retain: true, qos: 1 } });
  const state = { power: false, dimmer: 60 };
  const commands: FakeTasmota['commands'] = [];
  const result = () => JSON.stringify(options.dimmer ? { POWER: state.power ? 'ON' : 'OFF', Dimmer: state.dimmer } : { POWER: state.power ? 'ON' : 'OFF' });
  const publishResult = () => client.publishAsync(`stat/${topic}/RESULT`, result());
  client.on('message', (t, payload, packet) => {
    const command = t.split('/')[2]!;
    const value = payload.toString();
    commands.push([command, value, packet.retain]);
    if (command === 'POWER') {
      if (value === 'ON' || value === '1') state.power = true;
      else if (value === 'OFF' || value === '0') state.power = false;
      else if (value === 'TOGGLE' || value === '2') state.power = !state.power;
      void publishResult();
      void client.publishAsync(`stat/${topic}/POWER`, state.power ? 'ON' : 'OFF');
    } else if (command === 'Dimmer' && options.dimmer) {
      if (value !== '') {
        state.dimmer = Number(value);
        state.power = state.dimmer > 0;
      }
      void publishResult();
    } else {
      void client.publishAsync(`stat/${topic}/RESULT`, JSON.stringify({ Command: 'Unknown' }));
    }
  });
  await client.subscribeAsync(`cmnd/${topic}/+`);
  if (options.discovery !== false) {
    const config = {
      ip: '192.168.1.50',
      dn: options.name ?? topic,
      fn: [options.name ?? topic, null, null, null],
      hn: `${topic}-1234`,
      mac: options.mac ?? 'A0B1C2D3E4F5',
      md: options.dimmer ? 'Sonoff D1' : 'Sonoff S31',
      ty: 0,
      if: 0,
      ofln: 'Offline',
      onln: 'Online',
      state: ['OFF', 'ON', 'TOGGLE', 'HOLD'],
      sw: '13.1.0',
      t: topic,
      ft: '%prefix%/%topic%/',
      tp: ['cmnd', 'stat', 'tele'],
      rl: [options.dimmer ? 2 : 1, 0, 0, 0, 0, 0, 0, 0],
      lt_st: options.dimmer ? 1 : 0,
    };
    await client.publishAsync(`tasmota/discovery/${config.mac}/config`, JSON.stringify(config), { retain: true });
  }
  await client.publishAsync(`tele/${topic}/LWT`, 'Online', { retain: true });
  return {
    client,
    topic,
    commands,
    state,
    async press() {
      state.power = !state.power;
      await publishResult();
      await client.publishAsync(`tele/${topic}/STATE`, JSON.stringify({ Time: '2026-12-02T12:00:00', Uptime: '0T01:00:00', POWER: state.power ? 'ON' : 'OFF' }));
    },
    async crash() {
      // Closing the socket without DISCONNECT makes the broker publish the will.
      client.stream.destroy();
      client.options.reconnectPeriod = 0;
      await client.endAsync(true).catch(() => undefined);
    },
    close: () => client.endAsync(true),
  };
}
