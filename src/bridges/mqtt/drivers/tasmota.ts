import { z } from 'zod';
import type { DeviceState } from '../../../devices/types.ts';
import {
  type Ack,
  type BridgedDevice,
  brightnessParam,
  type CommandPlan,
  type DriverContext,
  type DriverUpdate,
  isRecord,
  kindActions,
  type MqttDriver,
  parseJson,
  reject,
} from '../driver.ts';

/** Tasmota's retained discovery message (`tasmota/discovery/<mac>/config`): the fields we use. */
const discoveryConfig = z.looseObject({
  t: z.string().regex(/^[^/#+\s]{1,64}$/),
  dn: z.string().max(64).optional(),
  fn: z.array(z.string().nullable()).optional(),
  rl: z.array(z.number()).optional(),
  lt_st: z.number().optional(),
  onln: z.string().optional(),
  ofln: z.string().optional(),
});

interface Known {
  device: BridgedDevice;
  online: string;
  offline: string;
  /** The discovery message that described it (a LWT-only device has none), so an empty one removes it. */
  mac?: string;
}

/** POWER, POWER1 … and Dimmer in a RESULT/STATE payload, in our words. */
function stateOf(body: Record<string, unknown>): DeviceState {
  const state: DeviceState = {};
  const power = body.POWER ?? body.POWER1;
  if (power === 'ON' || power === 'OFF') state.on = power === 'ON';
  if (typeof body.Dimmer === 'number') state.brightness = body.Dimmer;
  return state;
}

/**
 * Tasmota (tasmota.github.io "MQTT"): devices from the retained discovery config (`t` = topic,
 * `dn` = name, a light when `lt_st` > 0) or, without discovery, from their first `tele/<topic>/LWT`.
 * Availability is the LWT (`Online`/`Offline` or the config's `onln`/`ofln`), state comes from
 * `tele/<topic>/STATE` and `stat/<topic>/RESULT`, commands go to `cmnd/<topic>/POWER|Dimmer` and are
 * acknowledged by the RESULT that follows; `{"Command":"Unknown"}` or `"Error"` is a refusal.
 */
export function tasmotaDriver(): MqttDriver {
  const known = new Map<string, Known>();

  const describe = (topic: string, label: string, light: boolean): BridgedDevice => ({
    name: topic,
    label,
    type: light ? 'light' : 'plug',
    actions: light ? kindActions.light : kindActions.plug,
    capabilities: light ? ['power', 'dimmer'] : ['power'],
    online: false,
  });

  // An empty POWER (and Dimmer) command reports the current value on RESULT without changing it.
  const query = (context: DriverContext, entry: Known) => {
    context.publish(`cmnd/${entry.device.name}/POWER`, '');
    if (entry.device.type === 'light') context.publish(`cmnd/${entry.device.name}/Dimmer`, '');
  };

  return {
    name: 'tasmota',
    subscriptions: ['tasmota/discovery/+/config', 'tele/+/LWT', 'tele/+/STATE', 'stat/+/RESULT'],
    onMessage(topic, payload, context): DriverUpdate[] {
      const parts = topic.split('/');
      if (parts[0] === 'tasmota' && parts[1] === 'discovery') {
        const mac = parts[2]!;
        if (payload === '') {
          const gone = [...known.values()].find((k) => k.mac === mac);
          if (!gone) return [];
          known.delete(gone.device.name);
          return [{ kind: 'gone', name: gone.device.name }];
        }
        const parsed = discoveryConfig.safeParse(parseJson(payload));
        if (!parsed.success) return [];
        const c = parsed.data;
        const light = (c.lt_st ?? 0) > 0 || (c.rl ?? []).includes(2);
        const previous = known.get(c.t);
        const entry: Known = { device: describe(c.t, c.dn || c.fn?.[0] || c.t, light), online: c.onln ?? 'Online', offline: c.ofln ?? 'Offline', mac };
        known.set(c.t, entry);
        // Re-discovery keeps what the LWT said.
        if (previous) entry.device.online = previous.device.online;
        return [{ kind: 'device', device: entry.device }];
      }
      if (parts.length !== 3) return [];
      const [prefix, deviceTopic, leaf] = parts as [string, string, string];
      if (prefix === 'tele' && leaf === 'LWT') {
        let entry = known.get(deviceTopic);
        const updates: DriverUpdate[] = [];
        if (!entry) {
          // No discovery (SetOption19/discovery off): the first LWT introduces a plain plug.
          if (payload !== 'Online') return [];
          entry = { device: describe(deviceTopic, deviceTopic, false), online: 'Online', offline: 'Offline' };
          known.set(deviceTopic, entry);
          updates.push({ kind: 'device', device: entry.device });
        }
        if (payload !== entry.online && payload !== entry.offline) return updates;
        entry.device.online = payload === entry.online;
        if (entry.device.online) query(context, entry);
        return [...updates, { kind: 'availability', name: deviceTopic, online: entry.device.online }];
      }
      if (!known.has(deviceTopic) || !((prefix === 'tele' && leaf === 'STATE') || (prefix === 'stat' && leaf === 'RESULT'))) return [];
      const body = parseJson(payload);
      if (!isRecord(body)) return [];
      const state = stateOf(body);
      return Object.keys(state).length > 0 ? [{ kind: 'state', name: deviceTopic, state }] : [];
    },
    command(device, action, params): CommandPlan | Ack {
      let command: string;
      let value: string;
      if (action === 'turn_on' || action === 'turn_off' || action === 'toggle') {
        command = 'POWER';
        value = action === 'turn_on' ? 'ON' : action === 'turn_off' ? 'OFF' : 'TOGGLE';
      } else if (action === 'set_brightness' && device.type === 'light') {
        const percent = brightnessParam(params);
        if (typeof percent !== 'number') return percent;
        command = 'Dimmer';
        value = String(percent);
      } else {
        return reject('unsupported', `Tasmota cannot ${action} this device`);
      }
      const resultTopic = `stat/${device.name}/RESULT`;
      return {
        publish: [{ topic: `cmnd/${device.name}/${command}`, payload: value }],
        ack(topic, message) {
          if (topic !== resultTopic) return undefined;
          const body = parseJson(message);
          if (!isRecord(body)) return undefined;
          if (body.Command === 'Unknown' || body.Command === 'Error') return reject('tasmota_error', `Tasmota answered "${String(body.Command)}" to ${command}`);
          if (command === 'Dimmer') return 'Dimmer' in body ? { ok: true } : undefined;
          const power = body.POWER ?? body.POWER1;
          if (power === undefined) return undefined;
          return value === 'TOGGLE' || power === value ? { ok: true } : undefined;
        },
      };
    },
  };
}
