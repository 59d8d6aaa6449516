// @ts-check
import { io } from '../../socket.io/socket.io.esm.min.js';
import { eventLog } from '../shared/event-log.js';
import { refusalCode, transportOptions } from '../shared/socket-ack.js';

/** Refusals that retrying cannot fix: the screen needs new credentials. */
const fatal = new Set(['invalid_hub_key', 'home_not_found', 'invalid_request']);

/**
 * The kiosk's socket to `/kiosk`. Reconnects by itself (Socket.IO does after network loss; a
 * server-side disconnect or a transient refusal is retried here). `onStatus(state, detail)`
 * gets 'connecting' | 'connected' | 'retrying' | 'refused'. Home events go through the returned `log`.
 */
export function connectKiosk({ serial, hubKey }, onStatus) {
  // Reconnects resume where the socket left off (`since`): pairing, grant and device events missed are replayed.
  const log = eventLog();
  const socket = io('/kiosk', { auth: log.auth({ serial, hubKey }), ...transportOptions });
  log.attach(socket);
  let retry;
  const later = (ms) => {
    clearTimeout(retry);
    retry = setTimeout(() => socket.connect(), ms);
  };
  onStatus('connecting');
  socket.on('connect', () => onStatus('connected'));
  socket.on('disconnect', (reason) => {
    onStatus('retrying', reason);
    if (reason === 'io server disconnect') later(2000);
  });
  socket.on('connect_error', (err) => {
    if (socket.active) return onStatus('retrying', 'network');
    const code = refusalCode(err) ?? 'unavailable';
    if (fatal.has(code)) return onStatus('refused', code);
    onStatus('retrying', code);
    later(5000);
  });
  return { socket, log };
}
