import type { DeviceState } from '../../devices/types.ts';

import { z } from 'zod';
import type { MqttDriverName } from '../../config.ts';

/** The drivers MQTT_DRIVERS and `--drivers` choose from. */
export { mqttDriverNames as driverNames } from '../../config.ts';
export type DriverName = MqttDriverName;

/** The device kinds the relay offers actions for; anything else is listed as a capability only. */
export type BridgedKind = 'light' | 'switch' | 'plug' | 'lock' | 'thermostat' | 'sensor';

/** A device as a driver understood it from the broker. `name` is the driver's own key (friendly name, topic, id). */
export interface BridgedDevice {
  name: string;
  label: string;
  type: BridgedKind;
  actions: string[];
  /** Everything the device announced, known or not (Z2M exposes, HA components): listed, not all offered as actions. */
  capabilities: string[];
  /** Availability when the driver knows nothing better (no availability topic): online. */
  online?: boolean;
  state?: DeviceState;
}

/** What one broker message meant, in the driver-independent words the runner acts on. */
export type DriverUpdate =
  | { kind: 'device'; device: BridgedDevice }
  | { kind: 'gone'; name: string }
  | { kind: 'state'; name: string; state: DeviceState }
  | { kind: 'availability'; name: string; online: boolean };

/** How a command's outcome is recognised among later broker messages. */
export type Ack = { ok: true; state?: DeviceState } | { ok: false; error: { code: string; message: string } };

export interface CommandPlan {
  /** Published in order, never retained. */
  publish: { topic: string; payload: string }[];
  /** Looks at each later message; the first non-undefined answer ends the command. */
  ack(topic: string, payload: string): Ack | undefined;
  /** A device with no state topic (HA "optimistic"): the publish itself is the acknowledgement. */
  optimistic?: DeviceState;
}

/** A driver may publish on its own (e.g. asking a Shelly for its status when it comes online). */
export interface DriverContext {
  publish(topic: string, payload: string): void;
  /** Follows a topic learnt at run time (HA discovery names its state topics); kept across reconnects. */
  subscribe(topic: string): void;
}

/**
 * One project's topic conventions. A driver is pure translation: topics to subscribe, a message
 * to updates, a command to publishes plus how its acknowledgement looks. The runner owns the
 * connection, the devices' presence and the waiting.
 */
export interface MqttDriver {
  readonly name: DriverName;
  readonly subscriptions: readonly string[];
  onMessage(topic: string, payload: string, context: DriverContext): DriverUpdate[];
  /** `device` is the last BridgedDevice announced under that name. Bad params give a rejecting plan. */
  command(device: BridgedDevice, action: string, params: Record<string, unknown>): CommandPlan | Ack;
}

export interface DriverOptions {
  /** The relay's reply-topic prefix (Shelly RPC `src`), unique per bridge session. */
  replyPrefix: string;
  /** zigbee2mqtt base topic (MQTT_Z2M_BASE). */
  z2mBase: string;
}

/** The common actions per kind, exactly as issue 13 lists them. */
export const kindActions: Record<BridgedKind, string[]> = {
  light: ['turn_on', 'turn_off', 'toggle', 'set_brightness'],
  switch: ['turn_on', 'turn_off', 'toggle'],
  plug: ['turn_on', 'turn_off', 'toggle'],
  lock: ['lock', 'unlock'],
  thermostat: ['set_target'],
  sensor: [],
};

export const reject = (code: string, message: string): Ack => ({ ok: false, error: { code, message } });

/** JSON.parse that answers undefined instead of throwing: broker payloads are untrusted. */
export function parseJson(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Brightness in commands and state is 0-100 %; devices count 0-254/255 or 0-100. */
export const toPercent = (value: number, max: number): number => Math.round((value / max) * 100);
export const fromPercent = (percent: number, max: number): number => Math.round((percent / 100) * max);

/** Shared validation of `set_brightness` / `set_target` params: a plan-less rejection when wrong. */
export function brightnessParam(params: Record<string, unknown>): number | Ack {
  const b = params.brightness;
  if (typeof b !== 'number' || !Number.isFinite(b) || b < 0 || b > 100) return reject('invalid_params', 'brightness must be a number from 0 to 100');
  return Math.round(b);
}

export function targetParam(params: Record<string, unknown>): number | Ack {
  const t = params.target;
  if (typeof t !== 'number' || !Number.isFinite(t)) return reject('invalid_params', 'target must be a number (°C)');
  return t;
}

const MAX_EXTRA_PROPERTIES = 32;
const MAX_EXTRA_STRING = 128;

/**
 * Primitive fields of a device payload we do not map ourselves are kept under their own names,
 * a few and short: anyone on the broker can publish on a device's topic.
 */
export function primitives(source: Record<string, unknown>, skip: ReadonlySet<string>): DeviceState {
  const out: DeviceState = {};
  let kept = 0;
  for (const [key, value] of Object.entries(source)) {
    if (kept >= MAX_EXTRA_PROPERTIES) break;
    if (skip.has(key) || key.length > 64) continue;
    if (typeof value === 'string') out[key] = value.slice(0, MAX_EXTRA_STRING);
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = value;
    else continue;
    kept++;
  }
  return out;
}

/** A name that goes into a topic we subscribe to: no wildcards, no NUL, bounded. */
export const topicName = z
  .string()
  .min(1)
  .max(128)
  .refine((name) => !/[#+]/.test(name) && !name.includes('\0'), 'no MQTT wildcards or NUL');
