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
  /** One device per relay: relay 1 is `<topic>`, relay n is `<topic>:<n>`. */
  devices: BridgedDevice[];
  online: string;
  offline: string;
  /** The discovery message that described it (a LWT-only device has none), so an empty one removes it. */
  mac?: string;
}

/** The POWER key of relay n in RESULT/STATE payloads: one relay says `POWER` (or `POWER1`). */
const powerOf = (body: Record<string, unknown>, relay: number) => (relay === 1 ? (body.POWER ?? body.POWER1) : body[`POWER${relay}`]);

/** Relay n's POWER and (relay 1 of a light) Dimmer in a RESULT/STATE payload, in our words. */
function stateOf(body: Record<string, unknown>, relay: number, light: boolean): DeviceState {
  const state: DeviceState = {};
  const power = powerOf(body, relay);
  if (power === 'ON' || power === 'OFF') state.on = power === 'ON';
  if (light && relay === 1 && typeof body.Dimmer === 'number') state.brightness = body.Dimmer;
  return state;
}

const relayOf = (name: string): number => Number(/:(\d+)$/.exec(name)?.[1] ?? 1);

/**
 * Tasmota (tasmota.github.io "MQTT"): devices from the retained discovery config (`t` = topic,
 * `dn` = name, a light when `lt_st` > 0) or, without discovery, from their first `tele/<topic>/LWT`.
 * Availability is the LWT (`Online`/`Offline` or the config's `onln`/`ofln`), state comes from
 * `tele/<topic>/STATE` and `stat/<topic>/RESULT`, commands go to `cmnd/<topic>/POWER|Dimmer` and are
 * acknowledged by the RESULT that follows; `{"Command":"Unknown"}` or `"Error"` is a refusal.
 */
export function tasmotaDriver(): MqttDriver {
  const known = new Map<string, Known>();

  /** Our device name → the Tasmota topic it lives on. */
  const topicOf = new Map<string, string>();

  const describe = (topic: string, label: string, light: boolean, relays: number): BridgedDevice[] =>
    Array.from({ length: Math.max(1, Math.min(relays, 8)) }, (_, i) => {
      const isLight = light && i === 0;
      const name = i === 0 ? topic : `${topic}:${i + 1}`;
      topicOf.set(name, topic);
      return {
        name,
        label: i === 0 ? label : `${label} ${i + 1}`,
        type: isLight ? 'light' : 'plug',
        actions: isLight ? kindActions.light : kindActions.plug,
        capabilities: isLight ? ['power', 'dimmer'] : ['power'],
        online: false,
      };
    });

  // An empty POWER<n> (and Dimmer) command reports the current value on RESULT without changing it.
  const query = (context: DriverContext, topic: string, entry: Known) => {
    for (let i = 0; i < entry.devices.length; i++) context.publish(`cmnd/${topic}/POWER${i === 0 ? '' : i + 1}`, '');
    if (entry.devices[0]?.type === 'light') context.publish(`cmnd/${topic}/Dimmer`, '');
  };
  const forget = (topic: string, entry: Known): DriverUpdate[] => {
    known.delete(topic);
    return entry.devices.map((d) => {
      topicOf.delete(d.name);
      return { kind: 'gone' as const, name: d.name };
    });
  };

  return {
    name: 'tasmota',
    subscriptions: ['tasmota/discovery/+/config', 'tele/+/LWT', 'tele/+/STATE', 'stat/+/RESULT'],
    onMessage(topic, payload, context): DriverUpdate[] {
      const parts = topic.split('/');
      if (parts[0] === 'tasmota' && parts[1] === 'discovery') {
        const mac = parts[2]!;
        if (payload === '') {
          const gone = [...known].find(([, k]) => k.mac === mac);
          return gone ? forget(...gone) : [];
        }
        const parsed = discoveryConfig.safeParse(parseJson(payload));
        if (!parsed.success) return [];
        const c = parsed.data;
        const light = (c.lt_st ?? 0) > 0 || (c.rl ?? []).includes(2);
        const relays = (c.rl ?? [1]).filter((r) => r > 0).length;
        const previous = known.get(c.t);
        const entry: Known = { devices: describe(c.t, c.dn || c.fn?.[0] || c.t, light, relays), online: c.onln ?? 'Online', offline: c.ofln ?? 'Offline', mac };
        known.set(c.t, entry);
        const updates: DriverUpdate[] = [];
        // Fewer relays than before: the extra devices are gone.
        for (const old of previous?.devices ?? []) {
          if (!entry.devices.some((d) => d.name === old.name)) updates.push({ kind: 'gone', name: old.name });
        }
        // Re-discovery keeps what the LWT said.
        for (const d of entry.devices) d.online = previous?.devices[0]?.online ?? false;
        return [...updates, ...entry.devices.map((device) => ({ kind: 'device' as const, device }))];
      }
      if (parts.length !== 3) return [];
      const [prefix, deviceTopic, leaf] = parts as [string, string, string];
      if (prefix === 'tele' && leaf === 'LWT') {
        let entry = known.get(deviceTopic);
        const updates: DriverUpdate[] = [];
        if (!entry) {
          // No discovery (SetOption19/discovery off): the first LWT introduces a plain plug.
          if (payload !== 'Online') return [];
          entry = { devices: describe(deviceTopic, deviceTopic, false, 1), online: 'Online', offline: 'Offline' };
          known.set(deviceTopic, entry);
          updates.push(...entry.devices.map((device) => ({ kind: 'device' as const, device })));
        }
        if (payload !== entry.online && payload !== entry.offline) return updates;
        const online = payload === entry.online;
        for (const d of entry.devices) d.online = online;
        if (online) query(context, deviceTopic, entry);
        return [...updates, ...entry.devices.map((d) => ({ kind: 'availability' as const, name: d.name, online }))];
      }
      const entry = known.get(deviceTopic);
      if (!entry || !((prefix === 'tele' && leaf === 'STATE') || (prefix === 'stat' && leaf === 'RESULT'))) return [];
      const body = parseJson(payload);
      if (!isRecord(body)) return [];
      return entry.devices.flatMap((d, i) => {
        const state = stateOf(body, i + 1, d.type === 'light');
        return Object.keys(state).length > 0 ? [{ kind: 'state' as const, name: d.name, state }] : [];
      });
    },
    command(device, action, params): CommandPlan | Ack {
      let command: string;
      let value: string;
      const topic = topicOf.get(device.name);
      if (!topic) return reject('unknown_device', 'Tasmota no longer announces this device');
      const relay = relayOf(device.name === topic ? '' : device.name);
      if (action === 'turn_on' || action === 'turn_off' || action === 'toggle') {
        command = relay === 1 ? 'POWER' : `POWER${relay}`;
        value = action === 'turn_on' ? 'ON' : action === 'turn_off' ? 'OFF' : 'TOGGLE';
      } else if (action === 'set_brightness' && device.type === 'light') {
        const percent = brightnessParam(params);
        if (typeof percent !== 'number') return percent;
        command = 'Dimmer';
        value = String(percent);
      } else {
        return reject('unsupported', `Tasmota cannot ${action} this device`);
      }
      const resultTopic = `stat/${topic}/RESULT`;
      return {
        publish: [{ topic: `cmnd/${topic}/${command}`, payload: value }],
        ack(topic, message) {
          if (topic !== resultTopic) return undefined;
          const body = parseJson(message);
          if (!isRecord(body)) return undefined;
          if (body.Command === 'Unknown' || body.Command === 'Error') return reject('tasmota_error', `Tasmota answered "${String(body.Command)}" to ${command}`);
          if (command === 'Dimmer') return 'Dimmer' in body ? { ok: true } : undefined;
          const power = powerOf(body, relay);
          if (power === undefined) return undefined;
          return value === 'TOGGLE' || power === value ? { ok: true } : undefined;
        },
      };
    },
  };
}
