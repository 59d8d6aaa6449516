import { byId, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { countdown, runCountdown } from '../shared/time.js';
import { api } from './api.js';
import { saveTokens } from './session.js';

/**
 * "Log in with a paired phone": a QR session whose result arrives over Server-Sent Events.
 * The phone opens the approve URL, an already-paired dashboard there approves, and this
 * browser receives its own new tokens in the COMPLETE event.
 */
export function qrLoginView({ onSignedIn }) {
  const start = byId('qr-start');
  const box = byId('qr-box');
  const image = byId('qr-image');
  const link = byId('qr-url');
  const timer = byId('qr-countdown');
  const status = byId('qr-status');
  let events;
  let stopTimer = () => {};

  const say = (text, kind = 'info') => {
    status.textContent = text;
    status.className = `message ${kind}`;
  };
  const finish = (text, kind) => {
    events?.close();
    events = undefined;
    stopTimer();
    show(box, false);
    start.textContent = 'Show a new QR code';
    if (text !== undefined) say(text, kind);
  };

  start.addEventListener('click', async () => {
    finish(undefined);
    say('Creating a login request…');
    let session;
    try {
      const clientName = byId('client-name').value.trim().slice(0, 64);
      session = await api('/api/v1/qr/sessions', { method: 'POST', body: clientName ? { clientName } : {}, auth: false });
    } catch (err) {
      say(describeError(err), 'error');
      return;
    }
    image.src = session.qrSvgUrl;
    link.textContent = session.approveUrl;
    show(box, true);
    say('Scan the code with a phone that is already paired with your home.');
    stopTimer = runCountdown(Date.parse(session.expiresAt), (left) => (timer.textContent = countdown(left)), () => finish('The QR code expired.', 'info'));
    listen(session.sessionId);
  });

  const listen = (sessionId) => {
    events = new EventSource(`/api/v1/qr/sessions/${encodeURIComponent(sessionId)}/events`);
    const data = (event) => {
      try {
        return JSON.parse(event.data);
      } catch {
        return {};
      }
    };
    events.addEventListener('SCANNED', (event) => {
      const by = data(event).clientName;
      say(`Scanned${by ? ` by “${by}”` : ''}. Waiting for approval on that phone…`);
    });
    events.addEventListener('COMPLETE', (event) => {
      const tokens = data(event);
      finish('', 'info');
      saveTokens(tokens);
      onSignedIn();
    });
    events.addEventListener('FAIL', (event) => {
      const reason = data(event).reason;
      finish(reason === 'denied' ? 'The login was denied on the phone.' : 'The QR code expired.', reason === 'denied' ? 'error' : 'info');
    });
    events.addEventListener('error', () => {
      // EventSource retries by itself; a closed stream means the session is gone (404).
      if (events?.readyState === EventSource.CLOSED) finish(describeError({ code: 'session_not_found' }), 'error');
    });
  };

  return { stop: () => finish(undefined) };
}
