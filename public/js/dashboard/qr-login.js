// @ts-check
import { byId, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { countdown, runCountdown } from '../shared/time.js';
import { api } from './api.js';
import { fingerprintOf, newSessionKey, openSealed } from './sealed.js';
import { saveTokens } from './session.js';

/**
 * "Log in with a paired phone": a QR session whose result arrives over Server-Sent Events.
 * The QR carries only the scan id; the session id that opens the stream stays in this page.
 * Each session gets its own non-extractable key pair: the server seals the tokens to its public
 * half, so COMPLETE is readable only here. The key's fingerprint is shown beside the QR so the
 * person can check the phone shows the same one before approving.
 */
export function qrLoginView({ onSignedIn }) {
  const start = byId('qr-start');
  const box = byId('qr-box');
  const image = /** @type {HTMLImageElement} */ (byId('qr-image'));
  const link = byId('qr-url');
  const timer = byId('qr-countdown');
  const status = byId('qr-status');
  const fingerprint = byId('qr-fingerprint');
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
    let key;
    try {
      // WebCrypto exists only in secure contexts (https, localhost); elsewhere the result comes unsealed.
      key = crypto.subtle ? await newSessionKey() : undefined;
      const clientName = /** @type {HTMLInputElement} */ (byId('client-name')).value.trim().slice(0, 64);
      const body = { ...(key ? { publicKey: key.publicJwk } : {}), ...(clientName ? { clientName } : {}) };
      session = await api('/api/v1/qr/sessions', { method: 'POST', body, auth: false });
      // Shown from our own key, and checked against what the server will show the phone.
      const ours = key ? await fingerprintOf(key.publicJwk) : undefined;
      if (session.keyFingerprint !== ours) throw new Error('The relay answered with another key fingerprint.');
      fingerprint.textContent = ours ?? 'none (this page is not on https, so the result is not sealed)';
    } catch (err) {
      say(err instanceof Error && !('code' in err) ? err.message : describeError(err), 'error');
      return;
    }
    image.src = session.qrSvgUrl;
    link.textContent = session.approveUrl;
    show(box, true);
    say('Scan the code with a phone that is already paired with your home.');
    stopTimer = runCountdown(Date.parse(session.expiresAt), (left) => (timer.textContent = countdown(left)), () => finish('The QR code expired.', 'info'));
    listen(session.sessionId, key?.privateKey);
  });

  const listen = (sessionId, privateKey) => {
    events = new EventSource(`/api/v1/qr/sessions/${encodeURIComponent(sessionId)}/events`);
    const data = (event) => {
      try {
        return JSON.parse(event.data);
      } catch {
        return {};
      }
    };
    let shown = 0;
    events.addEventListener('QR', (event) => {
      // The scan id rotated (an old photo of the code no longer works): show the new code.
      const next = data(event);
      if (!next.approveUrl || !next.qrSvgUrl) return;
      shown += 1;
      image.src = `${next.qrSvgUrl}?v=${shown}`;
      link.textContent = next.approveUrl;
    });
    events.addEventListener('SCANNED', (event) => {
      const by = data(event).clientName;
      say(`Scanned${by ? ` by “${by}”` : ''}. Waiting for approval on that phone…`);
    });
    events.addEventListener('COMPLETE', async (event) => {
      const result = data(event);
      events?.close();
      try {
        const tokens = result.sealed && privateKey ? await openSealed(result.sealed, privateKey) : result;
        finish('', 'info');
        saveTokens(tokens);
        onSignedIn();
      } catch {
        finish('The login result could not be opened in this browser. Show a new QR code.', 'error');
      }
    });
    events.addEventListener('FAIL', (event) => {
      const reason = data(event).reason;
      finish(reason === 'denied' ? 'The login was denied on the phone.' : 'The QR code expired.', reason === 'denied' ? 'error' : 'info');
    });
    events.addEventListener('error', () => {
      // EventSource retries by itself; a closed stream means the session is gone (404) or already used (409).
      if (events?.readyState === EventSource.CLOSED) finish(describeError({ code: 'session_not_found' }), 'error');
    });
  };

  return { stop: () => finish(undefined) };
}
