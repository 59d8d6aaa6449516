import type { HomeDeviceEvent, HomeDeviceEvents, KioskNotice, KioskNotices } from '../contract/socket-events.ts';
import { AppError } from '../errors.ts';
import type { HomeEvents } from '../ports.ts';
import { type RelayNamespaces, type RelaySocketServer, relayNamespaces } from './events.ts';
import { rooms } from './rooms.ts';

/** The domain's HomeEvents port over Socket.IO rooms: the adapter carries each emit to every instance. */
export class SocketHomeEvents implements HomeEvents {
  private readonly nsp: RelayNamespaces;

  constructor(io: RelaySocketServer) {
    this.nsp = relayNamespaces(io);
  }

  async kioskCount(serial: string): Promise<number> {
    try {
      const sockets = await this.nsp.kiosk.in(rooms.home(serial)).fetchSockets();
      return sockets.length;
    } catch {
      // Only a remote adapter can fail here (another instance did not answer in time): a
      // dependency problem, not a missing kiosk.
      throw new AppError('unavailable', 'Could not reach the other relay instances; try again shortly.');
    }
  }

  toKiosks<E extends KioskNotice>(serial: string, event: E, ...payload: Parameters<KioskNotices[E]>): void {
    this.nsp.kiosk.to(rooms.home(serial)).emit(event, ...payload);
  }

  /** Device events: a guest's dashboard is in the device's watcher room only when its scope names the device. */
  toHome<E extends HomeDeviceEvent>(serial: string, event: E, payload: Parameters<HomeDeviceEvents[E]>[0], options: { volatile?: boolean } = {}): void {
    // One payload as the emit's argument list (TypeScript cannot see that through the generic E).
    const args = [payload] as Parameters<HomeDeviceEvents[E]>;
    const kiosks = this.nsp.kiosk.to(rooms.home(serial));
    (options.volatile ? kiosks.volatile : kiosks).emit(event, ...args);
    const deviceId = payload.id;
    const home = this.nsp.dashboard.to(rooms.home(serial));
    const dashboards = typeof deviceId === 'string' ? home.to(rooms.deviceWatchers(serial, deviceId)) : home;
    (options.volatile ? dashboards.volatile : dashboards).emit(event, ...args);
  }

  endGrantSessions(grantId: string): void {
    const room = rooms.grant(grantId);
    const dashboards = this.nsp.dashboard;
    dashboards.to(room).emit('grant:revoked', { grantId });
    // A namespace-level disconnect sends DISCONNECT after the event, so the client reads "io server disconnect"
    // and does not reconnect by itself.
    dashboards.in(room).disconnectSockets();
  }
}
