import type { Server, Socket } from 'socket.io';
import { hubKeyMatches, type PresentedCredential } from '../credentials/device-keys.ts';
import type { DeviceDescriptor } from '../devices/types.ts';
import type { Principal } from '../grants/service.ts';
import { forgetDevices } from '../homes/forget.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../deps.ts';
import type { HomeEventLog } from '../store/event-log.ts';
import type { HomeChange, Store } from '../store/types.ts';
import { namespaces } from './rooms.ts';

export interface HomeWatch {
  /** Resolves once changes are being received (a server is not ready before). */
  readonly ready: Promise<void>;
  stop(): void;
}

/**
 * Follows home changes (key rotation, removal, device auth, replaced device keys) made on any
 * instance or by the CLI in another process, and checks every socket this instance holds for
 * the home again: the ones whose credential died are told (`auth:revoked` with the code a new
 * handshake would get; dashboards `grant:revoked`) and disconnected. Checking instead of
 * disconnecting blindly leaves a kiosk that already reconnected with the new key alone.
 */
export function watchHomes(io: Server, deps: { store: Store; services: Services; logger: Logger; eventLog?: Pick<HomeEventLog, 'forget'> }): HomeWatch {
  const { store, services, logger } = deps;
  let unsubscribe: (() => void) | undefined;
  let stopped = false;
  const onChange = (change: HomeChange) => {
    // A removed home's resume log goes too: a serial added again must not replay the old home's events.
    if (change.kind === 'removed') void deps.eventLog?.forget(change.serial).catch((err: unknown) => logger.warn({ err, serial: change.serial }, "could not forget a removed home's event log"));
    void recheck(io, services, store, change).catch((err: unknown) => logger.error({ err, serial: change.serial }, 'could not re-check sockets after a home change'));
  };
  const ready = store.watchHomeChanges(onChange).then(
    (stop) => {
      if (stopped) stop();
      else unsubscribe = stop;
    },
    (err: unknown) => logger.error({ err }, 'home changes cannot be followed: rotate-key and remove will not reach live sockets'),
  );
  return {
    ready,
    stop() {
      stopped = true;
      unsubscribe?.();
    },
  };
}

async function recheck(io: Server, services: Services, store: Store, change: HomeChange): Promise<void> {
  const { serial } = change;
  // The pairing code may live in this process's memory (SQLite): a removed home's code goes too.
  if (change.kind === 'removed') await services.pairing.cancel(serial);
  const home = await services.homes.get(serial);
  const ended: Promise<void>[] = [];

  for (const socket of localSockets(io, namespaces.kiosk, (s) => s.data.serial === serial)) {
    const credential = socket.data.credential as PresentedCredential | undefined;
    if (home && credential && hubKeyMatches(home, credential.hash)) continue;
    end(socket, { code: home ? 'invalid_hub_key' : 'home_not_found' });
  }
  for (const socket of localSockets(io, namespaces.device, (s) => s.data.serial === serial)) {
    const credential = socket.data.credential as PresentedCredential | undefined;
    const device = socket.data.device as DeviceDescriptor | undefined;
    if (!credential || !device) continue;
    ended.push(
      services.deviceKeys.authorize(serial, device.id, credential).then((outcome) => {
        if (outcome !== 'ok') end(socket, { code: outcome });
      }),
    );
  }
  for (const socket of localSockets(io, namespaces.dashboard, (s) => (s.data.principal as Principal | undefined)?.grant.serial === serial)) {
    const principal = socket.data.principal as Principal;
    ended.push(
      services.grants.stillValid(principal).then((valid) => {
        if (!valid) end(socket, { grantId: principal.grant.id }, 'grant:revoked');
      }),
    );
  }
  await Promise.all(ended);
  // Still gone (not added again meanwhile): nothing of it may have been registered since the purge.
  if (change.kind === 'removed' && !(await services.homes.get(serial))) await forgetDevices(store, serial);
}

/** This instance's sockets only: every instance gets the change and checks its own. */
function localSockets(io: Server, namespace: string, match: (socket: Socket) => boolean): Socket[] {
  return [...io.of(namespace).sockets.values()].filter(match);
}

function end(socket: Socket, payload: object, event = 'auth:revoked'): void {
  socket.emit(event, payload);
  // A server-side disconnect: the client reads "io server disconnect" and does not retry on its own.
  socket.disconnect(true);
}
