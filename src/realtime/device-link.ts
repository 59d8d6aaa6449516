import type { DeviceLink, LinkResult } from '../devices/link.ts';
import type { DeviceCommand } from '../devices/types.ts';
import { type DeviceNamespace, type RelaySocketServer, relayNamespaces } from './events.ts';
import { rooms } from './rooms.ts';

/**
 * DeviceLink over Socket.IO: a broadcast-with-ack to the device's room, which the adapter carries
 * to whichever instance holds the socket. No socket anywhere resolves at once with no replies.
 */
export class SocketDeviceLink implements DeviceLink {
  private readonly devices: DeviceNamespace;

  constructor(io: RelaySocketServer) {
    this.devices = relayNamespaces(io).device;
  }

  async send(serial: string, deviceId: string, command: DeviceCommand, timeoutMs: number): Promise<LinkResult> {
    try {
      const replies: unknown[] = await this.devices.to(rooms.device(serial, deviceId)).timeout(timeoutMs).emitWithAck('command', command);
      return { kind: 'replies', replies };
    } catch (err) {
      // On timeout socket.io hands over what did arrive; a reply from any socket of the device counts.
      const partial = (err as { responses?: unknown }).responses;
      return Array.isArray(partial) && partial.length > 0 ? { kind: 'replies', replies: partial } : { kind: 'timeout' };
    }
  }

  async disconnect(serial: string, deviceId: string): Promise<void> {
    this.devices.in(rooms.device(serial, deviceId)).disconnectSockets(true);
  }

  async isConnected(serial: string, deviceId: string): Promise<boolean> {
    const sockets = await this.devices.in(rooms.device(serial, deviceId)).fetchSockets();
    return sockets.length > 0;
  }
}
