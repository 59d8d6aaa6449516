// @ts-check
import { io } from '../../socket.io/socket.io.esm.min.js';
import { eventLog } from '../shared/event-log.js';
import { refusalCode, transportOptions } from '../shared/socket-ack.js';
import { refreshTokens } from './auth.js';
import { readSession } from './session.js';

/**
 * The dashboard's live socket on `/`, authenticated with the current access token (read at
 * every (re)connect, so refreshed tokens are used). Handles the relay's ways of ending it:
 * `grant:revoked` → `onEnded`, an expired token → refresh and reconnect.
 * `onStatus` gets 'connecting' | 'connected' | 'retrying'. `log` carries home events across drops.
 */
export function connectLive({ onStatus, onEnded }) {
  let stopped = false;
  let retry;
  // Reconnects resume where the socket left off (`since`): what was missed while away is replayed.
  const log = eventLog();
  const socket = io('/', { auth: log.auth((cb) => cb({ token: readSession()?.token ?? '' })), ...transportOptions });
  log.attach(socket);

  const end = (error) => {
    if (stopped) return;
    stopped = true;
    socket.close();
    onEnded(error);
  };
  const reconnectSoon = (ms) => {
    clearTimeout(retry);
    retry = setTimeout(() => !stopped && socket.connect(), ms);
  };
  const refreshThenReconnect = async () => {
    try {
      await refreshTokens(readSession()?.token);
      reconnectSoon(0);
    } catch (err) {
      if (err.code === 'network') reconnectSoon(5000);
      else end(err);
    }
  };

  onStatus('connecting');
  socket.on('connect', () => onStatus('connected'));
  socket.on('grant:revoked', () => end({ code: 'token_revoked' }));
  socket.on('token:expired', () => void refreshThenReconnect());
  socket.on('disconnect', (reason) => {
    if (stopped) return;
    onStatus('retrying');
    // The server ends sockets of revoked grants (handled above) and of expired tokens.
    if (reason === 'io server disconnect') reconnectSoon(1500);
  });
  socket.on('connect_error', (err) => {
    if (stopped) return;
    onStatus('retrying');
    if (socket.active) return;
    const code = refusalCode(err);
    if (code === 'token_revoked') end({ code });
    else if (code === 'invalid_token' || code === 'unauthorized') void refreshThenReconnect();
    else reconnectSoon(5000);
  });

  return {
    socket,
    log,
    stop() {
      stopped = true;
      clearTimeout(retry);
      socket.close();
    },
  };
}
