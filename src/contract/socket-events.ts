import type { AuditEntry } from '../audit/types.ts';
import type { DeviceCommand, DeviceView } from '../devices/types.ts';
import type { LogPosition } from '../store/event-log.ts';

/**
 * The Socket.IO events of API.md ("Socket.IO namespaces"), by namespace and direction. Payload
 * shapes are the contract's; inbound payloads are still checked by zod where they arrive, so a
 * client → server event is typed `unknown` here. The names exist at run time too (`socketEventNames`),
 * so the AsyncAPI document can be checked against them (test/socket-events.test.ts).
 */

/** What an acknowledged event answers (see realtime/ack.ts). */
export type AckReply = { ok: true; data: unknown } | { ok: false; error: { code: string; message: string; details?: unknown } };

/** A client → server event with an ack: the payload (validated on arrival), then the ack callback. */
export type AckedEvent = (payload?: unknown, ack?: (reply: AckReply) => void) => void;

type AckedEvents<Name extends string> = { [E in Name]: AckedEvent };

/**
 * A home event by its payload. Sockets that resume (docs/api-extensions.md) get a logged one with its
 * place in the home's log as a second argument (null: it could not be logged); plain sockets without.
 */
type HomeEventsOf<Payloads> = { [E in keyof Payloads]: (payload: Payloads[E], position?: LogPosition | null) => void };

/** Sent to kiosks and dashboards of the home (dashboards of guests only for the devices they see). */
export interface HomeDevicePayloads {
  'device:state': DeviceView;
  'device:online': DeviceView;
  'device:offline': DeviceView;
  'device:removed': { id: string; reason: string };
}
export type HomeDeviceEvents = HomeEventsOf<HomeDevicePayloads>;

/** A live credential died (rotated hub key, removed home, replaced device key): then the server disconnects. */
type AuthRevoked = { 'auth:revoked': (refusal: { code: string }) => void };

export interface PairingCodeNotice {
  code: string;
  expiresAt: string;
  ttlSeconds: number;
  clientName?: string;
  requestedFrom: { ip: string; userAgent: string };
  dashboardUrl?: string;
}

/** Server → kiosk notices the domain sends through the HomeEvents port (`toKiosks`). */
export interface KioskNoticePayloads {
  /** Never logged (the code would stay readable in the log): no position. */
  'pairing:code': PairingCodeNotice;
  'pairing:claimed': { grantId: string; clientName: string };
  'pairing:expired': { reason: 'cancelled' | 'expired' };
  'pairing:burned': Record<string, never>;
  'pairing:locked': { until: string };
  'pairing:unlocked': Record<string, never>;
  'grant:created': { grantId: string; clientName: string };
  'grant:revoked': { grantId: string };
  'audit:entry': AuditEntry;
}
export type KioskNotices = HomeEventsOf<KioskNoticePayloads>;

export type KioskNotice = keyof KioskNoticePayloads;
export type HomeDeviceEvent = keyof HomeDevicePayloads;

/** After a resuming socket joined: what it missed (`resume`), or a fresh snapshot (`resync`). See realtime/resume.ts. */
interface ResumeEvents {
  resume: (missed: LogPosition & { events: { offset: number; event: string; payload: unknown }[] }) => void;
  resync: (
    snapshot: ({ epoch: string; offset: number; reason: 'too_old' | 'new_epoch' } | { epoch: null; offset: null; reason: 'unavailable' }) & Record<string, unknown>,
  ) => void;
}

/** `/kiosk`, server → kiosk. */
export interface KioskEmitEvents extends KioskNotices, HomeDeviceEvents, AuthRevoked, ResumeEvents {}

const kioskClientEvents = [
  'pairing:open',
  'pairing:cancel',
  'pairing:unlock',
  'grants:list',
  'grant:revoke',
  'device:enroll',
  'devices:list',
  'device:command',
  'device:remove',
  'guest:create',
  'audit:list',
] as const;
/** `/kiosk`, kiosk → server (every one acknowledged). */
export type KioskListenEvents = AckedEvents<(typeof kioskClientEvents)[number]>;

/** `/` (dashboards), server → dashboard. */
export interface DashboardEmitEvents extends HomeDeviceEvents, ResumeEvents {
  'grant:revoked': (revoked: { grantId: string }) => void;
  /** A guest's grant reached notAfter: then the server disconnects. */
  'grant:expired': (expired: { grantId: string; notAfter: string }) => void;
  /** A full grant's access token expired: then the server disconnects. */
  'token:expired': (expired: Record<string, never>) => void;
}

const dashboardClientEvents = ['devices:list', 'device:command', 'qr:get', 'qr:approve', 'qr:deny'] as const;
/** `/` (dashboards), dashboard → server (every one acknowledged). */
export type DashboardListenEvents = AckedEvents<(typeof dashboardClientEvents)[number]>;

/** `/device`, server → device. The device acks `{ ok: true, state }` or `{ ok: false, error }` (checked where it lands). */
export interface DeviceEmitEvents extends AuthRevoked {
  command: (command: DeviceCommand, ack: (reply: unknown) => void) => void;
}

const deviceClientEvents = ['state'] as const;
/** `/device`, device → server. */
export type DeviceListenEvents = AckedEvents<(typeof deviceClientEvents)[number]>;

/** No server-to-server events: instances share rooms through the adapter only. */
export type RelayServerSideEvents = Record<never, never>;

/** The keys of an event map, listed once each: a missing or an extra name does not compile. */
const namesOf = <Map>(names: Record<keyof Map, true>): string[] => Object.keys(names);

const homeDeviceEventNames: Record<HomeDeviceEvent, true> = { 'device:state': true, 'device:online': true, 'device:offline': true, 'device:removed': true };
const resumeEventNames: Record<keyof ResumeEvents, true> = { resume: true, resync: true };

/** Every event name by namespace: `fromClient` the relay listens to, `fromServer` it emits. */
export const socketEventNames = {
  '/kiosk': {
    fromClient: [...kioskClientEvents],
    fromServer: namesOf<KioskEmitEvents>({
      'pairing:code': true,
      'pairing:claimed': true,
      'pairing:expired': true,
      'pairing:burned': true,
      'pairing:locked': true,
      'pairing:unlocked': true,
      'grant:created': true,
      'grant:revoked': true,
      'audit:entry': true,
      ...homeDeviceEventNames,
      'auth:revoked': true,
      ...resumeEventNames,
    }),
  },
  '/device': {
    fromClient: [...deviceClientEvents],
    fromServer: namesOf<DeviceEmitEvents>({ command: true, 'auth:revoked': true }),
  },
  '/': {
    fromClient: [...dashboardClientEvents],
    fromServer: namesOf<DashboardEmitEvents>({
      ...homeDeviceEventNames,
      'grant:revoked': true,
      'grant:expired': true,
      'token:expired': true,
      ...resumeEventNames,
    }),
  },
} as const;
