import type { DeviceCommand } from './types.ts';

/** What the realtime layer answered when asked to deliver a command. */
export type LinkResult =
  /** Every connected socket of the device answered; none connected (on any instance) gives `[]`. */
  | { kind: 'replies'; replies: unknown[] }
  /** Some socket got the command and did not answer in time. */
  | { kind: 'timeout' };

/**
 * The port through which the device domain reaches device sockets without knowing they are
 * Socket.IO: addressed by room, so the adapter finds the socket on whichever instance holds it.
 */
export interface DeviceLink {
  /**
   * Never rejects: transport trouble is a timeout. `connectionId` is the registry's current one
   * (a link carrying several transports, such as the MQTT bridge beside sockets, routes by it).
   */
  send(serial: string, deviceId: string, command: DeviceCommand, timeoutMs: number, connectionId: string): Promise<LinkResult>;
  /** Whether a socket of the device is connected to any instance. */
  isConnected(serial: string, deviceId: string, connectionId: string): Promise<boolean>;
  /** Cuts the device's sockets on every instance (a removed device); links without sockets need none. */
  disconnect?(serial: string, deviceId: string): Promise<void>;
}

/**
 * A device connection's id names the instance holding the socket, so when an instance dies
 * (see liveness.ts) the survivors can tell which devices went with it.
 */
export const connectionIdOf = (instanceId: string, socketId: string): string => `${instanceId}/${socketId}`;

export const isHeldBy = (connectionId: string, instanceId: string): boolean => connectionId.startsWith(`${instanceId}/`);
