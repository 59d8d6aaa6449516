import type { Namespace, Server, Socket } from 'socket.io';
import type {
  DashboardEmitEvents,
  DashboardListenEvents,
  DeviceEmitEvents,
  DeviceListenEvents,
  KioskEmitEvents,
  KioskListenEvents,
  RelayServerSideEvents,
} from '../contract/socket-events.ts';
import type { PresentedCredential } from '../credentials/device-keys.ts';
import type { DeviceDescriptor } from '../devices/types.ts';
import type { Principal } from '../grants/service.ts';
import { namespaces } from './rooms.ts';

/** What each namespace's handshake stores on `socket.data`; a connected socket has all of it. */
export interface KioskSocketData {
  serial: string;
  /** Kept (as a hash) so a key rotation can find the kiosks still on the old key. */
  credential: PresentedCredential;
}
export interface DashboardSocketData {
  principal: Principal;
}
export interface DeviceSocketData {
  serial: string;
  credential: PresentedCredential;
  device: DeviceDescriptor;
}

export type KioskNamespace = Namespace<KioskListenEvents, KioskEmitEvents, RelayServerSideEvents, KioskSocketData>;
export type DashboardNamespace = Namespace<DashboardListenEvents, DashboardEmitEvents, RelayServerSideEvents, DashboardSocketData>;
export type DeviceNamespace = Namespace<DeviceListenEvents, DeviceEmitEvents, RelayServerSideEvents, DeviceSocketData>;
export type KioskSocket = Socket<KioskListenEvents, KioskEmitEvents, RelayServerSideEvents, KioskSocketData>;
export type DashboardSocket = Socket<DashboardListenEvents, DashboardEmitEvents, RelayServerSideEvents, DashboardSocketData>;
export type DeviceSocket = Socket<DeviceListenEvents, DeviceEmitEvents, RelayServerSideEvents, DeviceSocketData>;

/** The server's generics are those of its main namespace, `/` (dashboards). */
export type RelaySocketServer = Server<DashboardListenEvents, DashboardEmitEvents, RelayServerSideEvents, DashboardSocketData>;

export interface RelayNamespaces {
  kiosk: KioskNamespace;
  dashboard: DashboardNamespace;
  device: DeviceNamespace;
}

/**
 * The three namespaces with their own event maps. Socket.IO gives every `io.of()` the server's
 * generics, so the other two are re-typed here, once, instead of at each use.
 */
export function relayNamespaces(io: RelaySocketServer): RelayNamespaces {
  return {
    kiosk: io.of(namespaces.kiosk) as unknown as KioskNamespace,
    dashboard: io.of(namespaces.dashboard),
    device: io.of(namespaces.device) as unknown as DeviceNamespace,
  };
}
