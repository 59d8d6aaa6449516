import type { Socket } from 'socket.io';
import type { RouteModule } from './app.ts';
import type { HomeEvents, RequestOrigin } from './ports.ts';
import type { DashboardFeature, DashboardSnapshot } from './realtime/dashboard-namespace.ts';
import type { RelaySocketServer } from './realtime/events.ts';
import type { KioskFeature, KioskSnapshot } from './realtime/kiosk-namespace.ts';
import type { Deps, Services } from './deps.ts';

export interface FeatureContext {
  deps: Deps;
  services: Services;
  events: HomeEvents;
  io: RelaySocketServer;
  /** A socket's client address and agent, decided by TRUST_PROXY as Express decides `req.ip`. */
  socketOrigin: (socket: Pick<Socket, 'handshake'>) => RequestOrigin;
}

/**
 * A product feature (devices, QR login) plugged into the core: its REST routes, the acknowledged
 * events it adds to kiosk and dashboard sockets, namespaces of its own, and what to stop on close.
 */
export interface Feature {
  readonly name: string;
  routes?: RouteModule;
  kiosk?: KioskFeature;
  dashboard?: DashboardFeature;
  /** Its part of the snapshot in `resync` (a socket that resumed too late). */
  kioskSnapshot?: KioskSnapshot;
  dashboardSnapshot?: DashboardSnapshot;
  /** Runs once Socket.IO exists: for namespaces the feature owns. */
  attach?(io: RelaySocketServer): void;
  /** On close, before the sockets go: stop timers and streams, finish in-flight work. */
  close?(): void | Promise<void>;
  /** On close, once every socket of this instance is gone: bulk work for what they held. */
  socketsClosed?(): Promise<void>;
}

export type FeatureFactory = (context: FeatureContext) => Feature;
