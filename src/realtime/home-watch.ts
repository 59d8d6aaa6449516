import { hubKeyMatches } from '../credentials/device-keys.ts';
import { forgetDevices } from '../homes/forget.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../deps.ts';
import type { HomeEventLog } from '../store/event-log.ts';
import type { HomeChange, Store } from '../store/types.ts';
import { type RelaySocketServer, relayNamespaces } from './events.ts';

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
export function watchHomes(io: RelaySocketServer, deps: { store: Store; services: Services; logger: Logger; eventLog?: Pick<HomeEventLog, 'forget'> }): HomeWatch {
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

async function recheck(io: RelaySocketServer, services: Services, store: Store, change: HomeChange): Promise<void> {
  const { serial } = change;
  // The pairing code may live in this process's memory (SQLite): a removed home's code goes too.
  if (change.kind === 'removed') await services.pairing.cancel(serial);
  const home = await services.homes.get(serial);
  const ended: Promise<void>[] = [];

  const nsp = relayNamespaces(io);
  for (const socket of localSockets(nsp.kiosk, (s) => s.data.serial === serial)) {
    const { credential } = socket.data;
    if (home && credential && hubKeyMatches(home, credential.hash)) continue;
    end(socket, { code: home ? 'invalid_hub_key' : 'home_not_found' });
  }
  for (const socket of localSockets(nsp.device, (s) => s.data.serial === serial)) {
    const { credential, device } = socket.data;
    if (!credential || !device) continue;
    ended.push(
      services.deviceKeys.authorize(serial, device.id, credential).then((outcome) => {
        if (outcome !== 'ok') end(socket, { code: outcome });
      }),
    );
  }
  for (const socket of localSockets(nsp.dashboard, (s) => s.data.principal?.grant.serial === serial)) {
    const { principal } = socket.data;
    ended.push(
      services.grants.stillValid(principal).then((valid) => {
        if (valid) return;
        socket.emit('grant:revoked', { grantId: principal.grant.id });
        disconnect(socket);
      }),
    );
  }
  await Promise.all(ended);
  // Still gone (not added again meanwhile): nothing of it may have been registered since the purge.
  if (change.kind === 'removed' && !(await services.homes.get(serial))) await forgetDevices(store, serial);
}

/** This instance's sockets only: every instance gets the change and checks its own. */
function localSockets<S extends { data: unknown }>(nsp: { sockets: Map<string, S> }, match: (socket: S) => boolean): S[] {
  return [...nsp.sockets.values()].filter(match);
}

/** Kiosk and device sockets: both have `auth:revoked` among their server → client events. */
interface RevocableSocket {
  emit(event: 'auth:revoked', refusal: { code: string }): boolean;
  disconnect(close: boolean): unknown;
}

/** A kiosk or device whose credential died: told the code a new handshake would get. */
function end(socket: RevocableSocket, refusal: { code: string }): void {
  socket.emit('auth:revoked', refusal);
  disconnect(socket);
}

// A server-side disconnect: the client reads "io server disconnect" and does not retry on its own.
function disconnect(socket: { disconnect(close: boolean): unknown }): void {
  socket.disconnect(true);
}
