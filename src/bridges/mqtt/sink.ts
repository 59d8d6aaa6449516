import type { DeviceDescriptor, DeviceState } from '../../devices/types.ts';

/**
 * The bridge's whole hook into the device domain: what a device socket's handlers call on
 * DeviceService when a device connects, reports and leaves. DeviceService satisfies it as is.
 */
export interface BridgeDeviceSink {
  connected(serial: string, descriptor: DeviceDescriptor & BridgedFields, connectionId: string): Promise<unknown>;
  disconnected(serial: string, deviceId: string, connectionId: string): Promise<void>;
  reportState(serial: string, deviceId: string, state: DeviceState): Promise<void>;
}

/** What a bridged device adds to the device object (API.md: `source`, `bridge`). */
export interface BridgedFields {
  source: 'mqtt';
  bridge: { driver: string; name: string; capabilities: string[] };
}

/**
 * Bridged devices' connection ids: `<instanceId>/mqtt:<session>`. The instance prefix lets liveness
 * sweep them with the instance's sockets; `/mqtt:` (never in a Socket.IO id) routes their commands.
 */
export const bridgeConnectionId = (instanceId: string, session: string): string => `${instanceId}/mqtt:${session}`;
export const isBridgeConnection = (connectionId: string): boolean => connectionId.includes('/mqtt:');
