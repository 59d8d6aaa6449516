import type { Server } from 'socket.io';
import { AppError } from '../errors.ts';
import type { HomeEvents } from '../ports.ts';
import { namespaces, rooms } from './rooms.ts';

/** The domain's HomeEvents port over Socket.IO rooms: the adapter carries each emit to every instance. */
export class SocketHomeEvents implements HomeEvents {
  constructor(private readonly io: Server) {}

  async kioskCount(serial: string): Promise<number> {
    try {
      const sockets = await this.io.of(namespaces.kiosk).in(rooms.home(serial)).fetchSockets();
      return sockets.length;
    } catch {
      // Only a remote adapter can fail here (another instance did not answer in time): a
      // dependency problem, not a missing kiosk.
      throw new AppError('unavailable', 'Could not reach the other relay instances; try again shortly.');
    }
  }

  toKiosks(serial: string, event: string, payload: unknown = {}): void {
    this.io.of(namespaces.kiosk).to(rooms.home(serial)).emit(event, payload);
  }

  /** Device events: a guest's dashboard is in the device's watcher room only when its scope names the device. */
  toHome(serial: string, event: string, payload: unknown, options: { volatile?: boolean } = {}): void {
    const kiosks = this.io.of(namespaces.kiosk).to(rooms.home(serial));
    (options.volatile ? kiosks.volatile : kiosks).emit(event, payload);
    const deviceId = (payload as { id?: unknown } | null)?.id;
    const home = this.io.of(namespaces.dashboard).to(rooms.home(serial));
    const dashboards = typeof deviceId === 'string' ? home.to(rooms.deviceWatchers(serial, deviceId)) : home;
    (options.volatile ? dashboards.volatile : dashboards).emit(event, payload);
  }

  endGrantSessions(grantId: string): void {
    const room = rooms.grant(grantId);
    const dashboards = this.io.of(namespaces.dashboard);
    dashboards.to(room).emit('grant:revoked', { grantId });
    // A namespace-level disconnect sends DISCONNECT after the event, so the client reads "io server disconnect"
    // and does not reconnect by itself.
    dashboards.in(room).disconnectSockets();
  }
}
