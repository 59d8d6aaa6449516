import type { AuditOrigin } from '../audit/types.ts';

/** A device's state is whatever its agent reports: a JSON object the relay stores and relays, never interprets. */
export type DeviceState = Record<string, unknown>;

/** What a device says about itself when it connects. */
export interface DeviceDescriptor {
  id: string;
  name: string;
  type: string;
  actions: string[];
  state: DeviceState;
  /** Set by the MQTT bridge for the devices it brings (absent: a `/device` socket). */
  source?: 'socket' | 'mqtt';
  bridge?: DeviceBridge;
}

/** Which bridge driver speaks for a bridged device, its name there, and everything it announced. */
export interface DeviceBridge {
  driver: string;
  name: string;
  capabilities: string[];
}

/** The registry's record of a device; `connectionId` tells the current socket from a replaced one. */
export interface DeviceRecord extends DeviceDescriptor {
  online: boolean;
  updatedAt: string;
  connectionId: string | null;
}

/** The device object of the contract. */
export interface DeviceView {
  id: string;
  name: string;
  type: string;
  actions: string[];
  online: boolean;
  state: DeviceState;
  updatedAt: string;
  source: 'socket' | 'mqtt';
  bridge?: DeviceBridge;
}

export const toView = (r: DeviceRecord): DeviceView => ({
  id: r.id,
  name: r.name,
  type: r.type,
  actions: [...r.actions],
  online: r.online,
  state: r.state,
  updatedAt: r.updatedAt,
  source: r.source ?? 'socket',
  ...(r.bridge ? { bridge: { ...r.bridge, capabilities: [...r.bridge.capabilities] } } : {}),
});

export interface CommandInput {
  deviceId: string;
  action: string;
  params?: Record<string, unknown> | undefined;
  idempotencyKey?: string | undefined;
}

/** Who asks: the home they may touch and the scope their idempotency keys live in (a grant, a kiosk). */
export interface CommandActor {
  serial: string;
  scope: string;
  /** Who the audit log names, and how the command came in. */
  origin: AuditOrigin;
  /** A guest's limits; absent for full grants and kiosks. */
  access?: DeviceAccess | undefined;
}

/**
 * What a scoped (guest) grant may do with devices. The device service asks it at every entry, so
 * REST, dashboard sockets and events follow one rule.
 */
export interface DeviceAccess {
  sees(deviceId: string): boolean;
  allows(deviceId: string, action: string): boolean;
  /** Counts one command about to be sent (against `maxUses`); throws insufficient_scope when none are left. */
  spendUse(): Promise<void>;
  /** Gives back a use whose command was never sent (the device was offline, say). */
  refundUse(): Promise<void>;
}

/** The REST 200 body and the socket ack data. */
export interface CommandResult {
  commandId: string;
  device: DeviceView;
}

/** What the relay sends a device. */
export interface DeviceCommand {
  commandId: string;
  action: string;
  params: Record<string, unknown>;
}
