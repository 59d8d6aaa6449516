// @ts-check
import { toString as qrSvg } from '../../vendor/qrcode.js';
import { byId, fill, h, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { request } from '../shared/socket-ack.js';
import { countdown, runCountdown, when } from '../shared/time.js';

/**
 * The pairing panel: a "Pair a new device" button, and while a code is active its six digits,
 * a countdown, who asked, and a QR code that opens the dashboard with serial and code filled in.
 */
export function pairingPanel(socket, serial, log = null) {
  const events = log ?? socket;
  const idle = byId('pairing-idle');
  const active = byId('pairing-active');
  const codeEl = byId('pairing-code');
  const timer = byId('pairing-countdown');
  const requester = byId('pairing-requester');
  const qr = /** @type {HTMLImageElement} */ (byId('pairing-qr'));
  const message = byId('pairing-message');
  const announce = byId('pairing-announce');
  const lock = byId('pairing-lock');
  const lockText = byId('pairing-lock-text');
  const openButton = byId('pair-open');
  let stopTimer = () => {};
  let lockTimer;

  const say = (text, kind = 'info') => {
    message.textContent = text;
    message.className = `message ${kind}`;
  };

  const close = (text, kind) => {
    stopTimer();
    show(active, false);
    show(idle, true);
    qr.removeAttribute('src');
    fill(codeEl);
    announce.textContent = '';
    if (text) say(text, kind);
  };

  const showCode = async (event) => {
    const digits = String(event.code);
    fill(codeEl, h('span', {}, digits.slice(0, 3)), h('span', {}, digits.slice(3)));
    codeEl.dataset.code = digits;
    codeEl.setAttribute('aria-label', `Pairing code ${digits.split('').join(' ')}`);
    const who = event.clientName ? `“${event.clientName}”` : 'Someone';
    const from = event.requestedFrom ?? {};
    fill(
      requester,
      h('strong', {}, `${who} asked for this code`),
      h('br'),
      h('span', { class: 'detail' }, `from ${from.ip ?? 'unknown address'}`),
      h('br'),
      h('span', { class: 'detail ua' }, from.userAgent || 'unknown browser'),
    );
    say('');
    show(idle, false);
    show(active, true);
    announce.textContent = `New pairing code: ${digits.split('').join(' ')}. ${who} asked for it.`;
    stopTimer();
    stopTimer = runCountdown(
      Date.parse(event.expiresAt),
      (left) => (timer.textContent = countdown(left)),
      () => close('The code expired.', 'info'),
    );
    // The relay names its public dashboard URL when PUBLIC_URL is set; this page's own origin may be localhost.
    const base = event.dashboardUrl ?? `${location.origin}/`;
    const link = `${base}#${new URLSearchParams({ serial, code: digits })}`;
    try {
      const svg = await qrSvg(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
      if (codeEl.dataset.code === digits) qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    } catch {
      qr.removeAttribute('src');
    }
  };

  const showLock = (until) => {
    const end = Date.parse(until);
    lockText.textContent = `Pairing is locked until ${when(until)} after too many wrong codes. Someone may be guessing.`;
    show(lock, true);
    clearTimeout(lockTimer);
    if (Number.isFinite(end)) lockTimer = setTimeout(() => show(lock, false), Math.max(0, end - Date.now()));
  };

  socket.on('pairing:code', showCode);
  events.on('pairing:claimed', (event) => close(`Paired with “${event?.clientName ?? 'a new client'}”.`, 'success'));
  // The relay adds { reason: 'cancelled' } when a kiosk cancelled the code (docs/api-extensions.md).
  events.on('pairing:expired', (event) => close(event?.reason === 'cancelled' ? 'Code cancelled.' : 'The code expired.', 'info'));
  events.on('pairing:burned', () => close('Too many wrong tries: the code was cancelled.', 'warning'));
  events.on('pairing:locked', (event) => {
    close('');
    showLock(event?.until);
  });

  // Someone at the screen is the household: it may lift the lock (and its escalation) at once.
  events.on('pairing:unlocked', () => {
    clearTimeout(lockTimer);
    show(lock, false);
    say('Pairing unlocked.', 'success');
  });
  byId('pair-unlock').addEventListener('click', async () => {
    try {
      await request(socket, 'pairing:unlock');
    } catch (err) {
      say(describeError(err), 'error');
    }
  });

  openButton.addEventListener('click', async () => {
    if (openButton.getAttribute('aria-disabled') === 'true') return;
    openButton.setAttribute('aria-disabled', 'true');
    say('Asking for a code…');
    try {
      await request(socket, 'pairing:open');
    } catch (err) {
      say(describeError(err), 'error');
    } finally {
      openButton.removeAttribute('aria-disabled');
    }
  });
  byId('pair-cancel').addEventListener('click', async () => {
    try {
      await request(socket, 'pairing:cancel');
      close('Code cancelled.');
    } catch (err) {
      say(describeError(err), 'error');
    }
  });
}
