import { AppError } from '../errors.ts';
import type { Principal } from '../grants/service.ts';
import type { Timer } from '../clock.ts';
import type { DashboardEmitEvents } from '../contract/socket-events.ts';
import type { RealtimeContext } from './context.ts';
import type { DashboardNamespace, DashboardSocket } from './events.ts';
import { refusal } from './ack.ts';
import { ExpiryWheel } from './expiry-wheel.ts';
import { dashboardRoomsOf, joinHomeRooms, mergedSnapshot } from './resume.ts';
import { rooms } from './rooms.ts';
import { socketOrigin } from './socket-origin.ts';

/** Extra acknowledged events a feature (devices) adds to dashboard sockets. */
export type DashboardFeature = (socket: DashboardSocket, principal: Principal) => void;
/** A feature's part of the snapshot a resuming dashboard gets with `resync` (only what the grant may see). */
export type DashboardSnapshot = (principal: Principal) => Promise<Record<string, unknown>>;

/**
 * `/`: dashboards, authenticated by their access JWT. Each socket joins its home's room (device
 * state) and its grant's room (revocation reaches it from any instance).
 */
export function attachDashboard(
  nsp: DashboardNamespace,
  { services, logger, clock, trustProxy, eventLog }: RealtimeContext,
  features: DashboardFeature[] = [],
  snapshots: DashboardSnapshot[] = [],
): void {
  nsp.use(async (socket, next) => {
    const token: unknown = socket.handshake.auth?.token;
    if (typeof token !== 'string' || token.length === 0 || token.length > 4096) return next(refusal('unauthorized'));
    try {
      socket.data.principal = await services.grants.authenticate(token, socketOrigin(socket, trustProxy).ip);
      next();
    } catch (err) {
      if (err instanceof AppError && (err.code === 'invalid_token' || err.code === 'token_revoked')) return next(refusal(err.code));
      logger.error({ err }, 'dashboard handshake failed');
      next(refusal('unavailable'));
    }
  });

  // One timer for every dashboard's expiry, not one per socket (issue 16: 100,000 sockets).
  const wheel = new ExpiryWheel(clock);
  nsp.on('connection', (socket) => {
    const { principal } = socket.data;
    const { serial } = principal.grant;
    void socket.join(rooms.grant(principal.grant.id));
    const expiry = { timer: undefined as Timer | undefined };
    const start = { timer: undefined as Timer | undefined };
    const snapshot = mergedSnapshot(snapshots.map((part) => () => part(principal)));
    const joinHome = () =>
      joinHomeRooms(socket, { log: eventLog, logger, serial, homeRooms: deviceRoomsOf(principal), roomsOf: dashboardRoomsOf(serial), snapshot, visibleFrom: notBeforeOf(principal) }).catch(
        (err: unknown) => logger.warn({ err, serial }, 'dashboard could not join its home'),
      );
    // A guest's device events begin at notBefore, like the devices it may see.
    const { guest } = principal.grant;
    const notBefore = notBeforeOf(principal);
    if (notBefore > clock.now()) start.timer = clock.setTimeout(() => void joinHome(), notBefore - clock.now());
    else void joinHome();
    // A guest is cut at notAfter (told `grant:expired`), its token having ended a moment before.
    if (guest) expiry.timer = disconnectAtExpiry(socket, Date.parse(guest.notAfter), wheel, 'grant:expired', { grantId: principal.grant.id, notAfter: guest.notAfter });
    else expiry.timer = disconnectAtExpiry(socket, principal.claims.exp * 1000, wheel, 'token:expired', {});
    socket.on('disconnect', () => {
      expiry.timer?.cancel();
      start.timer?.cancel();
    });
    for (const feature of features) feature(socket, principal);
  });
}

/**
 * A full grant's dashboard follows its home's device events; a guest's only those of the devices
 * its scope names (scope "*": all of them), so nothing outside its scope ever reaches it.
 */
function deviceRoomsOf({ grant }: Principal): string[] {
  const devices = grant.guest?.scope.devices ?? '*';
  return devices === '*' ? [rooms.home(grant.serial)] : devices.map((id) => rooms.deviceWatchers(grant.serial, id));
}

/** When a guest's grant starts (0: a full grant, or a guest without notBefore). */
function notBeforeOf({ grant }: Principal): number {
  return grant.guest?.notBefore ? Date.parse(grant.guest.notBefore) : 0;
}

function disconnectAtExpiry<E extends 'grant:expired' | 'token:expired'>(
  socket: DashboardSocket,
  expiresAt: number,
  wheel: ExpiryWheel,
  event: E,
  ...payload: Parameters<DashboardEmitEvents[E]>
): Timer {
  // The wheel runs on the injected clock: a fake clock moved past expiresAt fires it at once (tests never wait for it).
  return wheel.schedule(expiresAt, () => {
    socket.emit(event, ...payload);
    socket.disconnect();
  });
}
