// @ts-check
import { activityPanel } from './activity.js';
import { byId, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { connectKiosk } from './connection.js';
import { loadCredentials, saveCredentials } from './credentials.js';
import { liveDevices } from '../shared/live-devices.js';
import { grantsPanel } from './grants.js';
import { pairingPanel } from './pairing.js';

const statusText = {
  connecting: 'Connecting…',
  connected: 'Connected',
  retrying: 'Reconnecting…',
  refused: 'Not connected',
};

function setStatus(state) {
  const pill = byId('connection');
  pill.textContent = statusText[state];
  pill.dataset.state = state;
}

function setup(reason, credentials) {
  show(byId('screen'), false);
  show(byId('setup'), true);
  byId('setup-reason').textContent = reason;
  if (credentials?.serial) /** @type {HTMLInputElement} */ (byId('setup-serial')).value = credentials.serial;
  byId(credentials?.serial ? 'setup-key' : 'setup-serial').focus();
}

function start(credentials) {
  show(byId('setup'), false);
  show(byId('screen'), true);
  byId('home-serial').textContent = credentials.serial;
  const { socket, log } = connectKiosk(credentials, (state, detail) => {
    setStatus(state);
    if (state === 'refused') {
      socket.close();
      setup(describeError({ code: detail }), credentials);
    }
  });
  pairingPanel(socket, credentials.serial, log);
  const devices = liveDevices(socket, undefined, log);
  const grants = grantsPanel(socket, log);
  const activity = activityPanel(socket);
  // Devices load once (after a drop the log replays or resyncs them); grants and activity reload on every connect.
  socket.once('connect', () => void devices.refresh());
  socket.on('connect', () => {
    void grants.refresh();
    void activity.refresh();
  });
}

byId('setup-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const credentials = { serial: /** @type {HTMLInputElement} */ (byId('setup-serial')).value.trim(), hubKey: /** @type {HTMLInputElement} */ (byId('setup-key')).value };
  saveCredentials(credentials);
  // A fresh page keeps listeners and sockets simple: one socket per page life.
  location.reload();
});

// A new kiosk address pasted into this tab changes only the fragment, which does not reload.
addEventListener('hashchange', () => {
  if (new URLSearchParams(location.hash.slice(1)).has('key')) location.reload();
});

const credentials = loadCredentials();
if (credentials?.hubKey) start(credentials);
else {
  setStatus('refused');
  setup('This screen is not set up yet. Open the kiosk address printed when the relay started, or enter the home serial and hub key.', credentials);
}
