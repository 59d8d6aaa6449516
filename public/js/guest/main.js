// @ts-check
import { io } from '../../socket.io/socket.io.esm.min.js';
import { byId, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { takeFragment } from '../shared/fragment.js';
import { eventLog } from '../shared/event-log.js';
import { liveDevices } from '../shared/live-devices.js';
import { refusalCode, transportOptions } from '../shared/socket-ack.js';

/**
 * The guest page: claims the invite from the link (`#code=…&serial=…`, read and removed from the
 * address bar), then shows only the devices the invite shares, with only the allowed controls,
 * until the access ends. The session lives in sessionStorage: a guest's browser forgets it.
 */
const KEY = 'home-relay.guest-session';
const notice = byId('notice');
const joinStatus = byId('join-status');
let live = null;

const say = (el, text, kind = 'info') => {
  el.textContent = text;
  el.className = `message ${kind}`;
};

const readSession = () => {
  try {
    const s = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return typeof s?.token === 'string' && Date.parse(s.notAfter) > Date.now() ? s : null;
  } catch {
    return null;
  }
};
const saveSession = (tokens) => {
  const session = { token: tokens.token, refreshToken: tokens.refreshToken, serial: tokens.serial, scope: tokens.scope, notAfter: tokens.notAfter };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
};

/** What the guest may do with a device: the scope's entry for it, or for "*"; "read" allows nothing. */
function allowedActions(scope, device) {
  if (scope.actions === 'read') return [];
  const allowed = Object.hasOwn(scope.actions, device.id) ? scope.actions[device.id] : scope.actions['*'];
  if (allowed === '*') return device.actions;
  return (device.actions ?? []).filter((a) => (allowed ?? []).includes(a));
}

function ended(message) {
  live?.close();
  live = null;
  sessionStorage.removeItem(KEY);
  show(byId('guest-devices'), false);
  show(byId('guest-until'), false);
  show(byId('join'), true);
  say(notice, message, 'warning');
}

function showUntil(notAfter) {
  const el = byId('guest-until');
  show(el, true);
  const tick = () => {
    const minutes = Math.ceil((Date.parse(notAfter) - Date.now()) / 60_000);
    const at = new Date(notAfter).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
    el.textContent = minutes > 0 ? `Access until ${at} (${minutes > 90 ? `${Math.round(minutes / 60)} h` : `${minutes} min`} left)` : 'Access ended';
  };
  tick();
  setInterval(tick, 30_000);
}

function start(session) {
  show(byId('join'), false);
  show(byId('guest-devices'), true);
  showUntil(session.notAfter);
  const log = eventLog();
  const socket = io('/', { auth: log.auth({ token: session.token }), ...transportOptions, reconnection: true });
  log.attach(socket);
  live = socket;
  const devices = liveDevices(socket, (device) => (device.actions ? { ...device, actions: allowedActions(session.scope, device) } : device), log);
  // Loaded once; after a drop the relay replays what was missed, or resyncs the list.
  socket.once('connect', () => void devices.refresh());
  const status = byId('live-status');
  socket.on('connect', () => {
    status.textContent = 'Live';
    status.dataset.state = 'connected';
  });
  socket.on('disconnect', () => {
    status.textContent = 'Reconnecting…';
    status.dataset.state = 'retrying';
  });
  socket.on('grant:expired', () => ended('Your guest access has ended.'));
  socket.on('grant:revoked', () => ended('The owner ended your guest access.'));
  socket.on('connect_error', (err) => {
    const code = refusalCode(err);
    if (code === 'token_revoked') ended('The owner ended your guest access.');
    else if (code === 'invalid_token') ended('Your guest access has ended.');
  });
  byId('devices-title').focus();
}

byId('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const code = /** @type {HTMLInputElement} */ (byId('guest-code')).value.trim();
  const clientName = /** @type {HTMLInputElement} */ (byId('guest-name')).value.trim();
  const body = { code, ...(clientName ? { clientName } : {}), ...(serial ? { serial } : {}) };
  try {
    const res = await fetch('/api/v1/guests/claim', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const reply = await res.json().catch(() => null);
    if (!res.ok) throw reply?.error ?? { code: 'internal_error' };
    say(notice, '');
    say(joinStatus, '');
    start(saveSession(reply));
  } catch (err) {
    say(joinStatus, err.code === 'invalid_code' ? 'That code is not right. Check it with the person who invited you.' : describeError(err), 'error');
  }
});

const fragment = takeFragment();
const serial = fragment.get('serial');
const existing = readSession();
if (existing) start(existing);
else if (fragment.get('code')) {
  /** @type {HTMLInputElement} */ (byId('guest-code')).value = fragment.get('code');
  say(joinStatus, 'Your invite code is filled in. Add your name and press “Join”.');
  /** @type {HTMLInputElement} */ (byId('guest-name')).focus();
}
