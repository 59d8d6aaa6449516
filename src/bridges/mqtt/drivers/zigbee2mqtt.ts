import { z } from 'zod';
import type { DeviceState } from '../../../devices/types.ts';
import {
  type Ack,
  type BridgedDevice,
  type BridgedKind,
  brightnessParam,
  type CommandPlan,
  type DriverContext,
  type DriverOptions,
  type DriverUpdate,
  fromPercent,
  isRecord,
  kindActions,
  type MqttDriver,
  parseJson,
  primitives,
  reject,
  targetParam,
  toPercent,
  topicName,
} from '../driver.ts';

/** One entry of an `exposes` list (zigbee2mqtt.io "Exposes"): generic features or a specific group with `features`. */
interface Expose {
  type: string;
  name?: string | undefined;
  property?: string | undefined;
  value_on?: unknown;
  value_off?: unknown;
  value_toggle?: unknown;
  value_max?: number | undefined;
  endpoint?: string | undefined;
  features?: Expose[] | undefined;
}
const exposeSchema: z.ZodType<Expose> = z.lazy(() =>
  z.looseObject({
    type: z.string(),
    name: z.string().optional(),
    property: z.string().optional(),
    value_on: z.unknown().optional(),
    value_off: z.unknown().optional(),
    value_toggle: z.unknown().optional(),
    value_max: z.number().optional(),
    endpoint: z.string().max(32).optional(),
    features: z.array(exposeSchema).optional(),
  }),
);

const bridgeDevice = z.looseObject({
    friendly_name: topicName,
    type: z.string().optional(),
    disabled: z.boolean().optional(),
    definition: z.looseObject({ exposes: z.array(exposeSchema).default([]), description: z.string().optional() }).nullish(),
});

/** How our state and commands map onto one device's exposed properties. */
interface Mapping {
  kind: BridgedKind;
  power?: { property: string; on: unknown; off: unknown; toggle: unknown };
  brightness?: { property: string; max: number };
  lock?: { property: string; lock: unknown; unlock: unknown };
  setpoint?: string;
  temperature?: string;
}

const specific = ['light', 'switch', 'lock', 'climate'];
const setpoints = ['occupied_heating_setpoint', 'current_heating_setpoint', 'occupied_cooling_setpoint'];

/**
 * One mapping per specific group (`light`, `switch`, `lock`, `climate`): a double wall switch exposes
 * two `switch` groups with endpoints `l1`, `l2` and properties `state_l1`, `state_l2`.
 */
function mapExposes(exposes: Expose[]): { mappings: { mapping: Mapping; endpoint: string | undefined }[]; capabilities: string[] } {
  const capabilities = exposes.map((e) => (e.endpoint ? `${e.name ?? e.type}_${e.endpoint}` : (e.name ?? e.property ?? e.type)));
  const groups = exposes.filter((e) => specific.includes(e.type));
  const mappings = groups.map((group) => ({ mapping: mapGroup(group), endpoint: group.endpoint ?? group.features?.find((f) => f.endpoint)?.endpoint }));
  return { mappings: mappings.length > 0 ? mappings : [{ mapping: { kind: 'sensor' }, endpoint: undefined }], capabilities };
}

function mapGroup(group: Expose): Mapping {
  const features = group.features ?? [];
  const feature = (name: string) => features.find((f) => f.name === name && f.property);
  const state = feature('state');
  if (group?.type === 'light' || group?.type === 'switch') {
    const mapping: Mapping = { kind: group.type };
    if (state?.property) mapping.power = { property: state.property, on: state.value_on ?? 'ON', off: state.value_off ?? 'OFF', toggle: state.value_toggle ?? 'TOGGLE' };
    const brightness = feature('brightness');
    if (group.type === 'light' && brightness?.property) mapping.brightness = { property: brightness.property, max: brightness.value_max ?? 254 };
    return mapping;
  }
  if (group.type === 'lock' && state?.property) {
    return { kind: 'lock', lock: { property: state.property, lock: state.value_on ?? 'LOCK', unlock: state.value_off ?? 'UNLOCK' } };
  }
  if (group.type === 'climate') {
    const setpoint = setpoints.map(feature).find((f) => f)?.property;
    const temperature = feature('local_temperature')?.property;
    return { kind: 'thermostat', ...(setpoint ? { setpoint } : {}), ...(temperature ? { temperature } : {}) };
  }
  return { kind: 'sensor' };
}

/** The `/get` payload reading back what we map (`{"state": ""}` …), as zigbee2mqtt.io documents `/get`. */
function readableOf(mapping: Mapping): Record<string, ''> {
  return Object.fromEntries(mappedProperties(mapping).map((p) => [p, '']));
}

function mappedProperties(mapping: Mapping): string[] {
  const properties = [mapping.power?.property, mapping.brightness?.property, mapping.lock?.property, mapping.setpoint, mapping.temperature];
  return properties.filter((p): p is string => p !== undefined);
}

function actionsOf(mapping: Mapping): string[] {
  return kindActions[mapping.kind].filter((action) => {
    if (action === 'set_brightness') return mapping.brightness !== undefined;
    if (action === 'set_target') return mapping.setpoint !== undefined;
    if (mapping.kind === 'lock') return mapping.lock !== undefined;
    return mapping.power !== undefined;
  });
}

/** A Z2M state payload in our words, plus the properties we do not map (temperature, battery, …) as they are. */
/** `skip`: properties another endpoint's device maps (a double switch's `state_l2` is not the first one's). */
function stateOf(mapping: Mapping, payload: Record<string, unknown>, skip: ReadonlySet<string>): DeviceState {
  const mapped = new Set<string>(skip);
  const state: DeviceState = {};
  if (mapping.power && mapping.power.property in payload) {
    mapped.add(mapping.power.property);
    state.on = payload[mapping.power.property] === mapping.power.on;
  }
  if (mapping.brightness && typeof payload[mapping.brightness.property] === 'number') {
    mapped.add(mapping.brightness.property);
    state.brightness = toPercent(payload[mapping.brightness.property] as number, mapping.brightness.max);
  }
  if (mapping.lock && mapping.lock.property in payload) {
    mapped.add(mapping.lock.property);
    state.locked = payload[mapping.lock.property] === mapping.lock.lock;
  }
  if (mapping.setpoint && typeof payload[mapping.setpoint] === 'number') {
    mapped.add(mapping.setpoint);
    state.targetC = payload[mapping.setpoint];
  }
  if (mapping.temperature && typeof payload[mapping.temperature] === 'number') {
    mapped.add(mapping.temperature);
    state.currentC = payload[mapping.temperature];
  }
  return { ...primitives(payload, mapped), ...state };
}

/**
 * zigbee2mqtt (zigbee2mqtt.io "MQTT topics and messages"): the retained `<base>/bridge/devices`
 * inventory with each device's `exposes`, state on `<base>/<friendly_name>`, availability on
 * `<base>/<friendly_name>/availability` (`{"state":"online"}` or the legacy bare word), commands to
 * `<base>/<friendly_name>/set`. A set is acknowledged by the state Z2M publishes afterwards; a failure
 * arrives as a `bridge/response` with `status: "error"` or an error line on `bridge/logging`.
 */
export function zigbee2mqttDriver(options: Pick<DriverOptions, 'z2mBase'>): MqttDriver {
  const base = options.z2mBase;
  /** Our device name → its Z2M device and mapping; the first group keeps the friendly name, others add `:<endpoint>`. */
  const entries = new Map<string, { friendly: string; mapping: Mapping; skip: Set<string> }>();
  const byFriendly = new Map<string, string[]>();
  const each = (friendly: string) => (byFriendly.get(friendly) ?? []).map((name) => [name, entries.get(name)!] as const);
  const prefix = `${base}/`;

  const failureFor = (friendly: string, topic: string, payload: string): Ack | undefined => {
    if (!topic.startsWith(`${base}/bridge/`)) return undefined;
    const body = parseJson(payload);
    if (!isRecord(body)) return undefined;
    if (topic.startsWith(`${base}/bridge/response/`) && body.status === 'error') {
      const data = isRecord(body.data) ? body.data : {};
      if (data.id !== friendly && data.friendly_name !== friendly) return undefined;
      return reject('zigbee_error', typeof body.error === 'string' ? body.error : 'zigbee2mqtt reported an error');
    }
    if (topic === `${base}/bridge/logging` && body.level === 'error' && typeof body.message === 'string' && body.message.includes(`to '${friendly}' failed`)) {
      return reject('zigbee_error', body.message);
    }
    return undefined;
  };

  return {
    name: 'zigbee2mqtt',
    // Not `${base}/#`: that would hand the relay its own `/set` publishes, and a broker without
    // TCP_NODELAY then holds the echo behind them for a delayed ACK (~40 ms a command).
    subscriptions: [`${base}/bridge/devices`, `${base}/bridge/response/#`, `${base}/bridge/logging`],
    onMessage(topic, payload, context) {
      if (!topic.startsWith(prefix)) return [];
      const rest = topic.slice(prefix.length);
      if (rest === 'bridge/devices') return inventory(payload, context);
      if (rest.startsWith('bridge/')) return [];
      if (rest.endsWith('/availability')) {
        const friendly = rest.slice(0, -'/availability'.length);
        const body = parseJson(payload);
        const word = isRecord(body) ? body.state : payload;
        if (word !== 'online' && word !== 'offline') return [];
        return each(friendly).map(([name]) => ({ kind: 'availability' as const, name, online: word === 'online' }));
      }
      const body = parseJson(payload);
      if (!isRecord(body)) return [];
      return each(rest).map(([name, entry]) => ({ kind: 'state' as const, name, state: stateOf(entry.mapping, body, entry.skip) }));
    },
    command(device, action, params): CommandPlan | Ack {
      const entry = entries.get(device.name);
      if (!entry) return reject('unknown_device', 'zigbee2mqtt no longer lists this device');
      const { mapping, friendly } = entry;
      let set: Record<string, unknown>;
      if (mapping.power && ['turn_on', 'turn_off', 'toggle'].includes(action)) {
        const value = action === 'turn_on' ? mapping.power.on : action === 'turn_off' ? mapping.power.off : mapping.power.toggle;
        set = { [mapping.power.property]: value };
      } else if (mapping.brightness && action === 'set_brightness') {
        const percent = brightnessParam(params);
        if (typeof percent !== 'number') return percent;
        set = { [mapping.brightness.property]: fromPercent(percent, mapping.brightness.max) };
        if (mapping.power) set[mapping.power.property] = percent > 0 ? mapping.power.on : mapping.power.off;
      } else if (mapping.lock && (action === 'lock' || action === 'unlock')) {
        set = { [mapping.lock.property]: action === 'lock' ? mapping.lock.lock : mapping.lock.unlock };
      } else if (mapping.setpoint && action === 'set_target') {
        const target = targetParam(params);
        if (typeof target !== 'number') return target;
        set = { [mapping.setpoint]: target };
      } else {
        return reject('unsupported', `zigbee2mqtt cannot ${action} this device`);
      }
      const stateTopic = `${base}/${friendly}`;
      // Z2M publishes the whole state after a set. The echo must show what we set (a toggle: any value;
      // numbers may be rounded by the device), else it is an unrelated report that crossed the command.
      const expected = Object.entries(set).map(([key, value]) => [key, action === 'toggle' || typeof value === 'number' ? undefined : value] as const);
      return {
        publish: [{ topic: `${stateTopic}/set`, payload: JSON.stringify(set) }],
        ack(topic, message) {
          if (topic === stateTopic) {
            const body = parseJson(message);
            if (!isRecord(body)) return undefined;
            return expected.every(([key, value]) => key in body && (value === undefined || body[key] === value)) ? { ok: true } : undefined;
          }
          return failureFor(friendly, topic, message);
        },
      };
    },
  };

  function inventory(payload: string, context: DriverContext): DriverUpdate[] {
    const list = parseJson(payload);
    if (!Array.isArray(list)) return [];
    const updates: DriverUpdate[] = [];
    const seen = new Set<string>();
    // Entry by entry: one unreadable device (or a wildcard in its name) must not hide the others.
    for (const raw of list) {
      const parsed = bridgeDevice.safeParse(raw);
      if (!parsed.success) continue;
      const entry = parsed.data;
      if (entry.type === 'Coordinator' || entry.disabled || !entry.definition) continue;
      const friendly = entry.friendly_name;
      const { mappings, capabilities } = mapExposes(entry.definition.exposes);
      const all = new Set(mappings.flatMap((m) => mappedProperties(m.mapping)));
      const firstTime = !byFriendly.has(friendly);
      const names: string[] = [];
      mappings.forEach(({ mapping, endpoint }, i) => {
        const name = i === 0 ? friendly : `${friendly}:${endpoint ?? i + 1}`;
        if (names.includes(name)) return;
        names.push(name);
        const own = new Set(mappedProperties(mapping));
        entries.set(name, { friendly, mapping, skip: new Set([...all].filter((p) => !own.has(p))) });
        seen.add(name);
        const label = i === 0 ? friendly : `${friendly} ${endpoint ?? i + 1}`;
        updates.push({ kind: 'device', device: { name, label, type: mapping.kind, actions: actionsOf(mapping), capabilities } satisfies BridgedDevice });
      });
      byFriendly.set(friendly, names);
      // Exact topics per device: friendly names may contain "/" (`room/lamp`), which `+` would not match.
      context.subscribe(`${base}/${friendly}`);
      context.subscribe(`${base}/${friendly}/availability`);
      // Z2M does not retain state by default: ask once per session for what we map (a Zigbee read, not a change).
      const readable = Object.assign({}, ...mappings.map((m) => readableOf(m.mapping))) as Record<string, ''>;
      if (firstTime && Object.keys(readable).length > 0) context.publish(`${base}/${friendly}/get`, JSON.stringify(readable));
    }
    for (const name of [...entries.keys()]) {
      if (seen.has(name)) continue;
      const { friendly } = entries.get(name)!;
      entries.delete(name);
      const left = (byFriendly.get(friendly) ?? []).filter((n) => n !== name && entries.has(n));
      if (left.length > 0) byFriendly.set(friendly, left);
      else byFriendly.delete(friendly);
      updates.push({ kind: 'gone', name });
    }
    return updates;
  }
}
