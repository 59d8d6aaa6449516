import type { DeviceState } from '../../../devices/types.ts';
import {
  type Ack,
  type BridgedDevice,
  type BridgedKind,
  brightnessParam,
  type CommandPlan,
  type DriverUpdate,
  fromPercent,
  isRecord,
  kindActions,
  type MqttDriver,
  parseJson,
  reject,
  targetParam,
  toPercent,
} from '../driver.ts';
import { applyTemplate, type Config, configSchema, expand } from './homeassistant-config.ts';

const PREFIX = 'homeassistant';

interface Entity {
  name: string;
  component: string;
  config: Config;
  kind: BridgedKind;
  json: boolean;
  state: DeviceState;
}

const kinds: Record<string, BridgedKind> = { light: 'light', switch: 'switch', lock: 'lock', climate: 'thermostat' };

/**
 * Home Assistant MQTT discovery: `homeassistant/<component>/[<node>/]<object>/config` (retained,
 * abbreviations and `~` allowed) describes an entity whose `state_topic`, `command_topic` and
 * `availability_topic` the relay then follows. light (default and `json` schema), switch, lock and
 * climate get actions; other components are listed as sensors. Without a state topic an entity is
 * "optimistic": the publish itself is the acknowledgement. Of value templates only `{{ value_json.key }}`
 * and `{{ value }}` are understood; command templates are not.
 */
export function homeAssistantDriver(): MqttDriver {
  const entities = new Map<string, Entity>();
  /** Discovery topic → entity name, so an empty config removes the right one. */
  const byConfigTopic = new Map<string, string>();
  /** Which entities a followed topic feeds, and how. */
  const routes = new Map<string, { name: string; role: 'state' | 'brightness' | 'temperature' | 'current' | 'availability' }[]>();

  const follow = (topicName: string | undefined, name: string, role: 'state' | 'brightness' | 'temperature' | 'current' | 'availability', subscribe: (t: string) => void) => {
    if (!topicName) return;
    const list = (routes.get(topicName) ?? []).filter((r) => !(r.name === name && r.role === role));
    routes.set(topicName, [...list, { name, role }]);
    subscribe(topicName);
  };

  const powerWords = (c: Config) => ({ on: c.payload_on ?? 'ON', off: c.payload_off ?? 'OFF', stateOn: c.state_on ?? c.payload_on ?? 'ON', stateOff: c.state_off ?? c.payload_off ?? 'OFF' });
  const scale = (c: Config) => c.brightness_scale ?? 255;

  function parseState(entity: Entity, role: 'state' | 'brightness' | 'temperature' | 'current', raw: string): DeviceState {
    const c = entity.config;
    const template = { state: c.state_value_template ?? c.value_template, brightness: c.brightness_value_template, temperature: c.temperature_state_template, current: c.current_temperature_template }[role];
    const payload = applyTemplate(template, raw);
    if (payload === undefined) return {};
    if (role === 'brightness') return Number.isFinite(Number(payload)) ? { brightness: toPercent(Number(payload), scale(c)) } : {};
    if (role === 'temperature') return Number.isFinite(Number(payload)) ? { targetC: Number(payload) } : {};
    if (role === 'current') return Number.isFinite(Number(payload)) ? { currentC: Number(payload) } : {};
    if (entity.json) {
      const body = parseJson(payload);
      if (!isRecord(body)) return {};
      const state: DeviceState = {};
      if (body.state === 'ON' || body.state === 'OFF') state.on = body.state === 'ON';
      if (typeof body.brightness === 'number') state.brightness = toPercent(body.brightness, scale(c));
      return state;
    }
    if (entity.kind === 'light' || entity.kind === 'switch') {
      const words = powerWords(c);
      return payload === words.stateOn ? { on: true } : payload === words.stateOff ? { on: false } : {};
    }
    if (entity.kind === 'lock') {
      if (payload === (c.state_locked ?? 'LOCKED')) return { locked: true };
      if (payload === (c.state_unlocked ?? 'UNLOCKED')) return { locked: false };
      return {};
    }
    const n = Number(payload);
    return { value: payload !== '' && Number.isFinite(n) ? n : payload.slice(0, 256) };
  }

  return {
    name: 'homeassistant',
    subscriptions: [`${PREFIX}/+/+/config`, `${PREFIX}/+/+/+/config`],
    onMessage(topicName, payload, context): DriverUpdate[] {
      const parts = topicName.split('/');
      if (parts[0] === PREFIX && parts.at(-1) === 'config' && (parts.length === 4 || parts.length === 5)) {
        const component = parts[1]!;
        const object = parts.slice(2, -1).join('_');
        const raw = parseJson(payload);
        if (payload === '' || !isRecord(raw)) {
          const gone = byConfigTopic.get(topicName);
          if (payload !== '' || gone === undefined) return [];
          byConfigTopic.delete(topicName);
          entities.delete(gone);
          return [{ kind: 'gone', name: gone }];
        }
        const parsed = configSchema.safeParse(expand(raw));
        if (!parsed.success) return [];
        const c = parsed.data;
        const name = (c.unique_id ?? object).replace(/[^A-Za-z0-9._:-]/g, '_');
        const kind = kinds[component] ?? 'sensor';
        const entity: Entity = { name, component, config: c, kind, json: c.schema === 'json', state: entities.get(name)?.state ?? {} };
        entities.set(name, entity);
        byConfigTopic.set(topicName, name);
        follow(c.state_topic, name, 'state', context.subscribe);
        follow(c.brightness_state_topic, name, 'brightness', context.subscribe);
        follow(c.temperature_state_topic, name, 'temperature', context.subscribe);
        follow(c.current_temperature_topic, name, 'current', context.subscribe);
        for (const a of [...(c.availability_topic ? [{ topic: c.availability_topic }] : []), ...(c.availability ?? [])]) follow(a.topic, name, 'availability', context.subscribe);
        const hasAvailability = c.availability_topic !== undefined || (c.availability?.length ?? 0) > 0;
        const actions = kindActions[kind].filter((action) => {
          if (!c.command_topic && kind !== 'thermostat') return false;
          if (action === 'set_brightness') return c.brightness_command_topic !== undefined || (entity.json && c.brightness === true);
          if (action === 'set_target') return c.temperature_command_topic !== undefined;
          return true;
        });
        const device: BridgedDevice = {
          name,
          label: c.name ?? c.device?.name ?? object,
          type: kind,
          actions,
          capabilities: [component],
          online: !hasAvailability,
        };
        return [{ kind: 'device', device }];
      }
      const updates: DriverUpdate[] = [];
      for (const route of routes.get(topicName) ?? []) {
        const entity = entities.get(route.name);
        if (!entity) continue;
        if (route.role === 'availability') {
          const entry = entity.config.availability?.find((a) => a.topic === topicName);
          const up = entry?.payload_available ?? entity.config.payload_available ?? 'online';
          const down = entry?.payload_not_available ?? entity.config.payload_not_available ?? 'offline';
          if (payload === up || payload === down) updates.push({ kind: 'availability', name: route.name, online: payload === up });
          continue;
        }
        const state = parseState(entity, route.role, payload);
        entity.state = { ...entity.state, ...state };
        if (Object.keys(state).length > 0) updates.push({ kind: 'state', name: route.name, state });
      }
      return updates;
    },
    command(device, action, params): CommandPlan | Ack {
      const entity = entities.get(device.name);
      if (!entity) return reject('unknown_device', 'Home Assistant discovery no longer lists this device');
      const c = entity.config;
      let publish: { topic: string; payload: string };
      let expected: DeviceState;
      let echoTopic = c.state_topic;
      if (action === 'turn_on' || action === 'turn_off' || action === 'toggle') {
        // HA entities have no toggle command: send the opposite of the last known state.
        const on = action === 'toggle' ? entity.state.on !== true : action === 'turn_on';
        const words = powerWords(c);
        publish = { topic: c.command_topic!, payload: entity.json ? JSON.stringify({ state: on ? 'ON' : 'OFF' }) : on ? words.on : words.off };
        expected = { on };
      } else if (action === 'set_brightness') {
        const percent = brightnessParam(params);
        if (typeof percent !== 'number') return percent;
        const value = fromPercent(percent, scale(c));
        if (entity.json) publish = { topic: c.command_topic!, payload: JSON.stringify({ state: percent > 0 ? 'ON' : 'OFF', brightness: value }) };
        else {
          publish = { topic: c.brightness_command_topic!, payload: String(value) };
          echoTopic = c.brightness_state_topic;
        }
        expected = { brightness: percent };
      } else if (action === 'lock' || action === 'unlock') {
        publish = { topic: c.command_topic!, payload: action === 'lock' ? (c.payload_lock ?? 'LOCK') : (c.payload_unlock ?? 'UNLOCK') };
        expected = { locked: action === 'lock' };
      } else if (action === 'set_target' && c.temperature_command_topic) {
        const target = targetParam(params);
        if (typeof target !== 'number') return target;
        publish = { topic: c.temperature_command_topic, payload: String(target) };
        expected = { targetC: target };
        echoTopic = c.temperature_state_topic;
      } else {
        return reject('unsupported', `Home Assistant discovery gives no way to ${action} this device`);
      }
      // Optimistic: no echo will tell us, so what we sent is the state (a later toggle needs it).
      if (!echoTopic) entity.state = { ...entity.state, ...expected };
      const role = echoTopic === c.brightness_state_topic && echoTopic !== c.state_topic ? 'brightness' : echoTopic === c.temperature_state_topic ? 'temperature' : 'state';
      return {
        publish: [publish],
        ...(echoTopic ? {} : { optimistic: expected }),
        ack(topicName, message) {
          if (!echoTopic || topicName !== echoTopic) return undefined;
          const state = parseState(entity, role, message);
          // The echo must show what we asked for (brightness may be rounded by the scale).
          return Object.entries(expected).every(([k, v]) => k in state && (typeof v === 'number' ? Math.abs((state[k] as number) - v) <= 1 : state[k] === v)) ? { ok: true } : undefined;
        },
      };
    },
  };
}
