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

interface Known {
  /** The component we control: `switch:0` or `light:0` (the first one; more are listed as capabilities). */
  component?: { key: string; kind: 'switch' | 'light'; id: number };
  capabilities: string[];
  label: string;
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
 * `Shelly.GetStatus` RPC. RPC requests go to `<id>/rpc` with `src` = our reply prefix, answers
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

  const describe = (name: string, entry: Known): BridgedDevice => {
    const kind = entry.component?.kind ?? 'sensor';
    return { name, label: entry.label, type: kind, actions: kindActions[kind], capabilities: entry.capabilities };
  };

  const onStatus = (device: string, status: Record<string, unknown>): DriverUpdate[] => {
    const entry = known.get(device) ?? { capabilities: [], label: device };
    const keys = Object.keys(status).filter((k) => !housekeeping.has(k));
    const key = keys.find((k) => /^(switch|light):\d+$/.test(k));
    if (key) {
      const [kind, id] = key.split(':') as ['switch' | 'light', string];
      entry.component = { key, kind, id: Number(id) };
    }
    entry.capabilities = keys;
    known.set(device, entry);
    return [
      { kind: 'device', device: describe(device, entry) },
      ...(key ? [{ kind: 'state' as const, name: device, state: componentState(status[key]) }] : []),
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
          entry.label = name.trim().slice(0, 64);
          return [{ kind: 'device', device: describe(mine.device, entry) }];
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
        return [{ kind: 'availability', name: device, online }];
      }
      if (leaf === 'events/rpc') {
        const entry = known.get(device);
        const frame = rpcFrame.safeParse(parseJson(payload));
        if (!entry?.component || !frame.success || !frame.data.params) return [];
        if (frame.data.method !== 'NotifyStatus' && frame.data.method !== 'NotifyFullStatus') return [];
        const change = frame.data.params[entry.component.key];
        const state = componentState(change);
        return Object.keys(state).length > 0 ? [{ kind: 'state', name: device, state }] : [];
      }
      return [];
    },
    command(device, action, params): CommandPlan | Ack {
      const component = known.get(device.name)?.component;
      if (!component) return reject('unsupported', 'This Shelly has no switch or light we control');
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
        publish: [{ topic: `${device.name}/rpc`, payload: JSON.stringify({ id, src, method, params: args }) }],
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
