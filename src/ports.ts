import type { HomeDeviceEvent, HomeDevicePayloads, KioskNotice, KioskNoticePayloads } from './contract/socket-events.ts';

/**
 * What domain services may ask of the realtime layer, without knowing it is Socket.IO.
 * Every delivery is addressed to a room, so the adapter carries it to whichever instance
 * holds the sockets.
 */
export interface HomeEvents {
  /** How many kiosks of the home are connected, on any instance. */
  kioskCount(serial: string): Promise<number>;
  toKiosks<E extends KioskNotice>(serial: string, event: E, payload: KioskNoticePayloads[E]): void;
  /**
   * Kiosks and dashboards of the home: device state, presence. `volatile` deliveries may be
   * skipped for a socket that is busy writing (a later one supersedes them): never for commands,
   * acks, presence, revocations or pairing.
   */
  toHome<E extends HomeDeviceEvent>(serial: string, event: E, payload: HomeDevicePayloads[E], options?: { volatile?: boolean }): void;
  /** Tells the grant's live sockets (`grant:revoked`) and disconnects them. */
  endGrantSessions(grantId: string): void;
}

export interface RequestOrigin {
  ip: string;
  userAgent: string;
}
