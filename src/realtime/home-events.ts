import type { HomeDeviceEvent, HomeDevicePayloads, KioskNotice, KioskNoticePayloads } from '../contract/socket-events.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { HomeEventLog, LogPosition, NewLogEntry } from '../store/event-log.ts';
import { type RelayNamespaces, type RelaySocketServer, relayNamespaces } from './events.ts';
import { rooms } from './rooms.ts';

/**
 * Never logged: a pairing code is kept only hashed in the store, and a log entry would keep it
 * readable for the whole resume window. A kiosk that missed one asks for a new code.
 */
const unlogged = new Set<string>(['pairing:code'] satisfies KioskNotice[]);

/**
 * Where a home event goes, seen without its event map: the port's signature (names and payloads of
 * contract/socket-events.ts) has checked the event already, and TypeScript cannot follow a name
 * that is a type parameter into Socket.IO's emit.
 */
interface Recipients {
  emit(event: string, payload: unknown, position?: LogPosition | null): boolean;
}

/**
 * The domain's HomeEvents port over Socket.IO rooms: the adapter carries each emit to every instance.
 * Plain sockets get each event at once. Every event is also appended to the home's log, and sockets
 * that asked to resume (docs/api-extensions.md) get it once logged, with its `{ epoch, offset }` as a
 * second argument, in log order: the emits of one home wait for one another here.
 */
export class SocketHomeEvents implements HomeEvents {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly nsp: RelayNamespaces;

  constructor(
    io: RelaySocketServer,
    private readonly log: { events: HomeEventLog; logger: Logger },
  ) {
    this.nsp = relayNamespaces(io);
  }

  async kioskCount(serial: string): Promise<number> {
    try {
      const home = rooms.home(serial);
      const sockets = await this.nsp.kiosk.in([home, rooms.resuming(home)]).fetchSockets();
      return sockets.length;
    } catch {
      // Only a remote adapter can fail here (another instance did not answer in time): a
      // dependency problem, not a missing kiosk.
      throw new AppError('unavailable', 'Could not reach the other relay instances; try again shortly.');
    }
  }

  toKiosks<E extends KioskNotice>(serial: string, event: E, payload: KioskNoticePayloads[E]): void {
    const home = rooms.home(serial);
    const kiosks = (to: string | string[]): Recipients => this.nsp.kiosk.to(to);
    // Resuming kiosks get an unlogged event at once too, without a position (like a direct emit).
    if (unlogged.has(event)) return void kiosks([home, rooms.resuming(home)]).emit(event, payload);
    kiosks(home).emit(event, payload);
    this.logged(serial, { event, payload, audience: 'kiosks' }, (position) => {
      kiosks(rooms.resuming(home)).emit(event, payload, position);
    });
  }

  /** Device events: a guest's dashboard is in the device's watcher room only when its scope names the device. */
  toHome<E extends HomeDeviceEvent>(serial: string, event: E, payload: HomeDevicePayloads[E], options: { volatile?: boolean } = {}): void {
    const deviceId = payload.id;
    const targets = (resuming: boolean): Recipients[] => {
      const room = resuming ? rooms.resuming : (name: string) => name;
      const kiosks = this.nsp.kiosk.to(room(rooms.home(serial)));
      const home = this.nsp.dashboard.to(room(rooms.home(serial)));
      const dashboards = typeof deviceId === 'string' ? home.to(room(rooms.deviceWatchers(serial, deviceId))) : home;
      return options.volatile ? [kiosks.volatile, dashboards.volatile] : [kiosks, dashboards];
    };
    for (const to of targets(false)) to.emit(event, payload);
    const entry: NewLogEntry = { event, payload, audience: 'home', ...(typeof deviceId === 'string' ? { deviceId } : {}) };
    this.logged(serial, entry, (position) => {
      for (const to of targets(true)) to.emit(event, payload, position);
    });
  }

  /** Resolves once every event emitted so far is logged and out (on close, before the store and adapter go). */
  async settled(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  endGrantSessions(grantId: string): void {
    const room = rooms.grant(grantId);
    const dashboards = this.nsp.dashboard;
    dashboards.to(room).emit('grant:revoked', { grantId });
    // A namespace-level disconnect sends DISCONNECT after the event, so the client reads "io server disconnect"
    // and does not reconnect by itself.
    dashboards.in(room).disconnectSockets();
  }

  /**
   * Appends at once (appends pipeline on one Redis connection) but emits after the home's previous
   * emit, so this instance's offsets reach sockets in order. An event the log could not take still
   * reaches resuming sockets, with a null position: they know their position is lost.
   */
  private logged(serial: string, entry: NewLogEntry, emit: (position: LogPosition | null) => void): void {
    const { events, logger } = this.log;
    const appended = events.append(serial, entry).catch((err: unknown) => {
      logger.warn({ err, serial, event: entry.event }, 'home event not logged: resuming sockets will resync');
      return null;
    });
    const tail = (this.tails.get(serial) ?? Promise.resolve()).then(() => appended)
      .then(emit)
      .catch((err: unknown) => logger.error({ err, serial }, 'could not emit a logged home event'));
    this.tails.set(serial, tail);
    void tail.finally(() => {
      if (this.tails.get(serial) === tail) this.tails.delete(serial);
    });
  }
}
