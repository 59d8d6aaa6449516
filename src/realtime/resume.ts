import type { Socket } from 'socket.io';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { HomeEventLog, LogEntry, LogPosition } from '../store/event-log.ts';
import { rooms } from './rooms.ts';

/** A snapshot part a feature adds to `resync` (devices: `{ devices }`, the kiosk core: `{ grants }`). */
export type Snapshot = () => Promise<Record<string, unknown>>;

/** `auth.since`: `true` (start following offsets) or the position of the last event the client applied. */
const sinceSchema = z.union([z.literal(true), z.strictObject({ epoch: z.string().min(1).max(64), offset: z.number().int().min(0) })]);

/** What a socket asked for: nothing (a plain socket), a fresh start, or a resume from a position. */
type Request = { kind: 'plain' } | { kind: 'fresh' } | { kind: 'resume'; since: LogPosition };

function requestOf(socket: Socket): Request {
  const raw: unknown = socket.handshake.auth?.since;
  if (raw === undefined) return { kind: 'plain' };
  const parsed = sinceSchema.safeParse(raw);
  // A position the relay cannot read is as good as a lost one: the client gets a resync.
  if (!parsed.success) return { kind: 'resume', since: { epoch: '', offset: 0 } };
  return parsed.data === true ? { kind: 'fresh' } : { kind: 'resume', since: parsed.data };
}

export interface ResumeContext {
  log: HomeEventLog;
  logger: Logger;
  serial: string;
  /** The rooms a plain socket of this kind joins for home events (its home, or a guest's watcher rooms). */
  homeRooms: string[];
  /** The rooms a logged entry was sent to in this namespace: the socket sees it if it is in one of them. */
  roomsOf: (entry: LogEntry) => string[];
  snapshot: Snapshot;
  /** A guest's notBefore (epoch ms): entries logged before its grant began are not its to see. */
  visibleFrom?: number;
}

/**
 * Joins the socket to its home-event rooms. A socket that asked (`auth.since`) joins their resuming
 * twins instead and is sent, after joining, either `resume` (the entries it missed, then live events
 * follow) or `resync` (a fresh snapshot: its position is from another epoch or older than the log).
 * Joining first and reading second leaves no gap; an event both read and delivered live carries
 * the same offset, and the client drops offsets it has already applied.
 */
export async function joinHomeRooms(socket: Socket, context: ResumeContext): Promise<void> {
  const request = requestOf(socket);
  if (request.kind === 'plain') return socket.join(context.homeRooms);
  await socket.join(context.homeRooms.map(rooms.resuming));
  const { log, serial, logger } = context;
  try {
    const read = await log.read(serial, request.kind === 'fresh' ? null : request.since);
    const visible = new Set(context.homeRooms);
    const from = context.visibleFrom ?? 0;
    const seen = (entries: LogEntry[]) => entries.filter((entry) => entry.at >= from && context.roomsOf(entry).some((room) => visible.has(room)));
    if (read.status === 'ok') {
      socket.emit('resume', { ...read.position, events: latestStates(seen(read.entries)).map(({ offset, event, payload }) => ({ offset, event, payload })) });
      return;
    }
    const reason = request.kind === 'resume' && request.since.epoch === read.position.epoch ? 'too_old' : 'new_epoch';
    socket.emit('resync', { ...read.position, reason, ...withLoggedDevices(await context.snapshot(), seen(read.retained)) });
  } catch (err) {
    logger.warn({ err, serial }, 'could not resume a socket');
    socket.emit('resync', { epoch: null, offset: null, reason: 'unavailable' });
  }
}

/** Device state is a whole object: of several `device:state` entries for one device, the last says it all. */
function latestStates(entries: LogEntry[]): LogEntry[] {
  const last = new Map<string, number>();
  for (const entry of entries) if (entry.event === 'device:state' && entry.deviceId) last.set(entry.deviceId, entry.offset);
  return entries.filter((entry) => entry.event !== 'device:state' || !entry.deviceId || last.get(entry.deviceId) === entry.offset);
}

const deviceViews = new Set(['device:state', 'device:online', 'device:offline']);

/**
 * Device states are written behind (at most one durable write per device a second), so the records
 * of a device on another instance may be a moment older than the log. The last logged view of a
 * device, all at or before the resync's offset, is at least as new; anything later arrives live.
 */
function withLoggedDevices(snapshot: Record<string, unknown>, retained: LogEntry[]): Record<string, unknown> {
  if (!Array.isArray(snapshot.devices)) return snapshot;
  const logged = new Map<string, unknown>();
  for (const entry of retained) if (deviceViews.has(entry.event) && entry.deviceId) logged.set(entry.deviceId, entry.payload);
  const devices = (snapshot.devices as Array<{ id: string }>).map((device) => logged.get(device.id) ?? device);
  return { ...snapshot, devices };
}

/** Kiosks were sent every entry of their home. */
export const kioskRoomsOf = (serial: string) => (): string[] => [rooms.home(serial)];

/** Dashboards were sent home entries only: to the home room, and to the device's watchers (guests). */
export const dashboardRoomsOf =
  (serial: string) =>
  (entry: LogEntry): string[] => {
    if (entry.audience !== 'home') return [];
    return entry.deviceId ? [rooms.home(serial), rooms.deviceWatchers(serial, entry.deviceId)] : [rooms.home(serial)];
  };

/** Merges the snapshot parts features provide into one object. */
export const mergedSnapshot =
  (parts: Snapshot[]): Snapshot =>
  async () =>
    Object.assign({}, ...(await Promise.all(parts.map((part) => part()))));
