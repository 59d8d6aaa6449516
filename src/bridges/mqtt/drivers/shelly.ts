import { z } from 'zod';
import type { DeviceState } from '../../../devices/types.ts';
import {
  type Ack,
  type BridgedDevice,
  brightnessParam,
  type CommandPlan,
  type DriverContext,
  type DriverOptions,
  type DriverUpdate,
  isRecord,
  kindActions,
  type MqttDriver,
  parseJson,
  reject,
} from '../driver.ts';

/** A JSON-RPC 2.0 frame as Shelly Gen2 sends it on `<src>/rpc` (a reply) or `<id>/events/rpc` (a notification). */
const rpcFrame = z.looseObject({
  id: z.union([z.number(), z.string()]).optional(),
  src: z.string().optional(),
  method: z.string().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  result: z.unknown().optional(),
  error: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional(),
});

interface Component {
  key: string;
  kind: 'switch' | 'light';
  id: number;
}

interface Known {
  /** The switches and lights it controls (`switch:0`, `light:1` …), each a device of its own. */
  components: Component[];
  capabilities: string[];
  label: string;
}

/** One bridged device: a Shelly's component (none: the Shelly itself, a sensor). */
interface Named {
  shelly: string;
  component?: Component;
}

/** Status components that are the device itself, not something it controls. */
const housekeeping = new Set(['sys', 'wifi', 'cloud', 'mqtt', 'ble', 'ws', 'eth']);

function componentState(body: unknown): DeviceState {
  if (!isRecord(body)) return {};
  const state: DeviceState = {};
  if (typeof body.output === 'boolean') state.on = body.output;
  if (typeof body.brightness === 'number') state.brightness = body.brightness;
  if (typeof body.apower === 'number') state.powerW = body.apower;
  return state;
}

/**
 * Shelly Gen2+ (shelly-api-docs "MQTT" and "RPC"): `<id>/online` (retained true/false) is
 * availability and, the first time, introduces the device; its components come from a
 * `Shelly.GetStatus` RPC, each switch or light a device (`<id>`, then `<id>:switch:1` …). RPC requests go to `<id>/rpc` with `src` = our reply prefix, answers
 * arrive on `<src>/rpc` matched by `id`; an `error` answer is a refusal (422). `NotifyStatus` on
 * `<id>/events/rpc` carries changes made at the device.
 */
export function shellyDriver(options: Pick<DriverOptions, 'replyPrefix'>): MqttDriver {
  const src = options.replyPrefix;
  const replyTopic = `${src}/rpc`;
  const known = new Map<string, Known>();
  /** Our own discovery RPCs in flight: id → device and method. */
  const asked = new Map<number, { device: string; method: string }>();
  let nextId = 1;

  const rpc = (context: DriverContext, device: string, method: string) => {
    const id = nextId++;
    asked.set(id, { device, method });
    context.publish(`${device}/rpc`, JSON.stringify({ id, src, method }));
  };

  /** Device names: the first component keeps the Shelly's id (stable when it has one); others add their key. */
  const named = new Map<string, Named>();
  const nameOf = (shelly: string, entry: Known, component?: Component) =>
    component && entry.components.indexOf(component) > 0 ? `${shelly}:${component.key}` : shelly;
  const namesOf = (shelly: string) => [...named].filter(([, n]) => n.shelly === shelly).map(([name]) => name);

  const describeAll = (shelly: string, entry: Known): DriverUpdate[] => {
    const parts: (Component | undefined)[] = entry.components.length > 0 ? entry.components : [undefined];
    return parts.map((component, i) => {
      const name = nameOf(shelly, entry, component);
      named.set(name, { shelly, ...(component ? { component } : {}) });
      const kind = component?.kind ?? 'sensor';
      const label = i === 0 ? entry.label : `${entry.label} (${component!.key})`;
      return { kind: 'device', device: { name, label, type: kind, actions: kindActions[kind], capabilities: entry.capabilities } satisfies BridgedDevice };
    });
  };

  const onStatus = (shelly: string, status: Record<string, unknown>): DriverUpdate[] => {
    const entry = known.get(shelly) ?? { components: [], capabilities: [], label: shelly };
    const keys = Object.keys(status).filter((k) => !housekeeping.has(k));
    entry.components = keys
      .filter((k) => /^(switch|light):\d+$/.test(k))
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
      .map((key) => {
        const [kind, id] = key.split(':') as ['switch' | 'light', string];
        return { key, kind, id: Number(id) };
      });
    entry.capabilities = keys;
    known.set(shelly, entry);
    return [
      ...describeAll(shelly, entry),
      ...entry.components.map((c) => ({ kind: 'state' as const, name: nameOf(shelly, entry, c), state: componentState(status[c.key]) })),
    ];
  };

  return {
    name: 'shelly',
    subscriptions: ['+/online', '+/events/rpc', replyTopic],
    onMessage(topic, payload, context): DriverUpdate[] {
      if (topic === replyTopic) {
        const frame = rpcFrame.safeParse(parseJson(payload));
        if (!frame.success || typeof frame.data.id !== 'number') return [];
        const mine = asked.get(frame.data.id);
        if (!mine) return [];
        asked.delete(frame.data.id);
        if (!isRecord(frame.data.result)) return [];
        if (mine.method === 'Shelly.GetStatus') return onStatus(mine.device, frame.data.result);
        const entry = known.get(mine.device);
        const name = frame.data.result.name;
        if (mine.method === 'Shelly.GetDeviceInfo' && entry && typeof name === 'string' && name.trim() !== '') {
          entry.label = name.trim().slice(0, 48);
          return describeAll(mine.device, entry);
        }
        return [];
      }
      const [device, ...rest] = topic.split('/');
      if (!device || device === src) return [];
      const leaf = rest.join('/');
      if (leaf === 'online') {
        if (payload !== 'true' && payload !== 'false') return [];
        const online = payload === 'true';
        if (!known.has(device)) {
          // A device we have not met: learn what it is first; it appears once GetStatus answers.
          if (online) {
            rpc(context, device, 'Shelly.GetStatus');
            rpc(context, device, 'Shelly.GetDeviceInfo');
          }
          return [];
        }
        return namesOf(device).map((name) => ({ kind: 'availability' as const, name, online }));
      }
      if (leaf === 'events/rpc') {
        const entry = known.get(device);
        const frame = rpcFrame.safeParse(parseJson(payload));
        if (!entry || !frame.success || !frame.data.params) return [];
        if (frame.data.method !== 'NotifyStatus' && frame.data.method !== 'NotifyFullStatus') return [];
        const params = frame.data.params;
        return entry.components.flatMap((c) => {
          const state = componentState(params[c.key]);
          return Object.keys(state).length > 0 ? [{ kind: 'state' as const, name: nameOf(device, entry, c), state }] : [];
        });
      }
      return [];
    },
    command(device, action, params): CommandPlan | Ack {
      const target = named.get(device.name);
      const component = target?.component;
      if (!target || !component) return reject('unsupported', 'This Shelly has no switch or light we control');
      const service = component.kind === 'light' ? 'Light' : 'Switch';
      let method: string;
      let args: Record<string, unknown> = { id: component.id };
      let expected: DeviceState | undefined;
      if (action === 'turn_on' || action === 'turn_off') {
        method = `${service}.Set`;
        args = { ...args, on: action === 'turn_on' };
        expected = { on: action === 'turn_on' };
      } else if (action === 'toggle') {
        method = `${service}.Toggle`;
      } else if (action === 'set_brightness' && component.kind === 'light') {
        const percent = brightnessParam(params);
        if (typeof percent !== 'number') return percent;
        method = 'Light.Set';
        args = { ...args, on: percent > 0, brightness: percent };
        expected = { on: percent > 0, brightness: percent };
      } else {
        return reject('unsupported', `Shelly cannot ${action} this device`);
      }
      const id = nextId++;
      return {
        publish: [{ topic: `${target.shelly}/rpc`, payload: JSON.stringify({ id, src, method, params: args }) }],
        ack(topic, message) {
          if (topic !== replyTopic) return undefined;
          const frame = rpcFrame.safeParse(parseJson(message));
          if (!frame.success || frame.data.id !== id) return undefined;
          if (frame.data.error) return reject(`rpc_${frame.data.error.code ?? 'error'}`, frame.data.error.message ?? 'The Shelly refused the call');
          // Toggle answers `{ was_on }`; Set answers the same, and the new state is what we asked for.
          const result = isRecord(frame.data.result) ? frame.data.result : {};
          if (expected) return { ok: true, state: expected };
          return typeof result.was_on === 'boolean' ? { ok: true, state: { on: !result.was_on } } : { ok: true };
        },
      };
    },
  };
}
