// @ts-check
import { byId } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { takeFragment } from '../shared/fragment.js';
import { api } from './api.js';
import { saveTokens } from './session.js';

const PREFS = 'home-relay.pairing-prefs';

const say = (el, text, kind = 'info') => {
  el.textContent = text;
  el.className = `message ${kind}`;
};

/**
 * Pairing with a six-digit code: ask for a code on the intercom, type it, store the tokens.
 * `prefill` comes from the kiosk's QR (`#serial=…&code=…`).
 */
export function pairView({ prefill, onPaired }) {
  const serial = /** @type {HTMLInputElement} */ (byId('serial'));
  const name = /** @type {HTMLInputElement} */ (byId('client-name'));
  const code = /** @type {HTMLInputElement} */ (byId('code'));
  const requestStatus = byId('request-status');
  const claimStatus = byId('claim-status');
  const prefs = JSON.parse(localStorage.getItem(PREFS) ?? '{}');
  serial.value = prefill.serial ?? prefs.serial ?? '';
  name.value = prefs.clientName ?? '';
  const fillIn = ({ serial: fromQr, code: digits }) => {
    if (fromQr) serial.value = fromQr;
    if (!digits) return;
    code.value = digits;
    say(claimStatus, 'The code from your intercom is filled in. Press “Pair this browser”.');
  };
  fillIn(prefill);
  // The kiosk's QR link opened in a tab already showing the dashboard changes only the fragment.
  addEventListener('hashchange', () => {
    const fragment = takeFragment();
    fillIn({ serial: fragment.get('serial'), code: fragment.get('code') });
    if (fragment.get('code')) byId('pair-submit').focus();
  });

  const fields = () => {
    const body = {};
    if (serial.value.trim()) body.serial = serial.value.trim();
    if (name.value.trim()) body.clientName = name.value.trim().slice(0, 64);
    localStorage.setItem(PREFS, JSON.stringify({ serial: body.serial, clientName: body.clientName }));
    return body;
  };

  byId('request-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    say(requestStatus, 'Asking your intercom for a code…');
    try {
      const issued = await api('/api/v1/pairing/code', { method: 'POST', body: fields(), auth: false });
      const minutes = Math.max(1, Math.round(issued.ttlSeconds / 60));
      say(requestStatus, `A code is now on your intercom screen. Type it below within ${minutes} minute${minutes === 1 ? '' : 's'}.`, 'success');
      code.focus();
    } catch (err) {
      say(requestStatus, describeError(err), 'error');
    }
  });

  byId('claim-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const digits = code.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(digits)) {
      say(claimStatus, 'The code is six digits, as shown on the intercom.', 'error');
      code.focus();
      return;
    }
    say(claimStatus, 'Checking the code…');
    try {
      const tokens = await api('/api/v1/pairing/claim', { method: 'POST', body: { code: digits, ...fields() }, auth: false });
      saveTokens(tokens);
      code.value = '';
      say(claimStatus, '');
      say(requestStatus, '');
      onPaired();
    } catch (err) {
      say(claimStatus, describeError(err), 'error');
      code.select();
    }
  });
}
