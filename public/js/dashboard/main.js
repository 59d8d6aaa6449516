// @ts-check
import { byId, show } from '../shared/dom.js';
import { takeFragment } from '../shared/fragment.js';
import { api, onSessionEnded } from './api.js';
import { approveView } from './approve.js';
import { keepFresh } from './auth.js';
import { liveDevices } from '../shared/live-devices.js';
import { grantsView } from './grants.js';
import { inviteView } from './invite.js';
import { connectLive } from './live.js';
import { pairView } from './pair.js';
import { qrLoginView } from './qr-login.js';
import { clearSession, onSessionChange, readSession } from './session.js';

const fragment = takeFragment();
const approveId = new URLSearchParams(location.search).get('approve');
const notice = byId('notice');
const grants = grantsView();
const invites = inviteView();
byId('invite-refresh').addEventListener('click', () => invites.refresh());
const approve = approveId ? approveView(approveId) : null;
let active = null; // { live, fresh, devices } while signed in

const liveText = { connecting: 'Connecting…', connected: 'Live', retrying: 'Reconnecting…' };

function say(text, kind = 'info') {
  notice.textContent = text;
  notice.className = `message ${kind}`;
}

function reasonFor(error) {
  if (error?.code === 'token_revoked') return 'This browser was signed out: its access was revoked from the intercom or another paired device.';
  if (error?.code === 'invalid_token') return 'Your sign-in expired. Pair this browser again.';
  return 'You were signed out. Pair this browser again.';
}

function render(signedIn) {
  show(byId('signed-in'), signedIn);
  show(byId('signed-out'), !signedIn);
  show(byId('account'), signedIn);
}

async function signedIn() {
  if (active) return;
  const session = readSession();
  if (!session) return;
  render(true);
  say('');
  byId('account-name').textContent = session.serial;
  const live = connectLive({
    onStatus: (state) => {
      const el = byId('live-status');
      el.textContent = liveText[state];
      el.dataset.state = state;
    },
    onEnded: (error) => signOutHere(reasonFor(error), 'warning'),
  });
  const devices = liveDevices(live.socket, undefined, live.log);
  // The list is loaded once; after a drop the relay replays what was missed, or resyncs the list.
  live.socket.once('connect', devices.refresh);
  active = { live, fresh: keepFresh((error) => signOutHere(reasonFor(error), 'warning')), devices };
  byId('signed-in-title').focus();
  void grants.refresh();
  invites.refresh();
  void approve?.load();
  try {
    const me = await api('/api/v1/me');
    byId('account-name').textContent = `${me.clientName} · ${me.serial}`;
  } catch {
    /* a revoked or unreachable session is reported by whoever noticed */
  }
}

/** Leaves the signed-in view: stops the socket and timers and forgets the tokens. */
function signOutHere(message, kind = 'info') {
  if (!active) return;
  active.live.stop();
  active.fresh.stop();
  active.devices.clear();
  active = null;
  grants.clear();
  invites.clear();
  clearSession();
  render(false);
  say(message, kind);
  if (approveId) say(`${message} Pair this browser again to answer the login request.`, kind);
  byId('pair-title').focus();
}

onSessionEnded((error) => signOutHere(reasonFor(error), 'warning'));
onSessionChange((session) => {
  if (!session) signOutHere('You signed out in another tab.');
  else if (!active) void signedIn();
});

byId('sign-out').addEventListener('click', async () => {
  const session = readSession();
  if (!active || !session) return;
  active.live.stop(); // our own grant:revoked is expected; do not report it as a surprise
  try {
    await api(`/api/v1/grants/${encodeURIComponent(session.grantId)}`, { method: 'DELETE' });
  } catch {
    /* signing out locally is what matters */
  }
  signOutHere('You signed out. This browser’s access was revoked.');
});

pairView({ prefill: { serial: fragment.get('serial'), code: fragment.get('code') }, onPaired: signedIn });
qrLoginView({ onSignedIn: signedIn });

if (readSession()) void signedIn();
else {
  render(false);
  if (approveId) say('Someone asked to log in another browser with this dashboard. Pair this browser first, then you can approve it.', 'warning');
  if (fragment.get('code')) byId('pair-submit').focus();
}
