// @ts-check
import { byId, fill, h, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { when } from '../shared/time.js';
import { api } from './api.js';

/**
 * `/?approve=<scanId>`: another browser asks to be logged in to this home. Shows who asks
 * (the GET marks the session scanned): its address, browser and key fingerprint, which the
 * person compares with the one beside the QR code before approving or denying.
 */
export function approveView(scanId) {
  const section = byId('approve-section');
  const details = byId('approve-details');
  const status = byId('approve-status');
  const buttons = byId('approve-buttons');
  const path = `/api/v1/qr/sessions/${encodeURIComponent(scanId)}`;

  const say = (text, kind = 'info') => {
    status.textContent = text;
    status.className = `message ${kind}`;
  };
  const done = () => {
    show(buttons, false);
    const url = new URL(location.href);
    url.searchParams.delete('approve');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  };

  const answer = async (verb) => {
    try {
      await api(`${path}/${verb}`, { method: 'POST', body: {} });
      say(verb === 'approve' ? 'Approved. The other browser is now signed in.' : 'Denied. The other browser was told no.', verb === 'approve' ? 'success' : 'info');
      done();
    } catch (err) {
      say(describeError(err), 'error');
      if (err.status === 404 || err.status === 409) done();
    }
  };

  byId('approve-yes').addEventListener('click', () => answer('approve'));
  byId('approve-no').addEventListener('click', () => answer('deny'));

  return {
    async load() {
      show(section, true);
      show(buttons, false);
      say('Loading the login request…');
      try {
        const session = await api(path);
        const from = session.requestedFrom ?? {};
        fill(
          details,
          session.clientName ? [h('dt', {}, 'Name'), h('dd', {}, session.clientName)] : null,
          h('dt', {}, 'From address'),
          h('dd', {}, from.ip ?? 'unknown'),
          h('dt', {}, 'Browser'),
          h('dd', { class: 'ua' }, from.userAgent || 'unknown'),
          h('dt', {}, 'Asked at'),
          h('dd', {}, when(session.createdAt)),
          h('dt', {}, 'Key check'),
          h('dd', { class: 'fingerprint', id: 'approve-fingerprint' }, session.keyFingerprint ?? 'none (the result will not be sealed)'),
        );
        say(
          session.keyFingerprint
            ? 'Only approve if you are logging in that browser yourself and it shows the same key check.'
            : 'Only approve if you are logging in that browser yourself.',
          'warning',
        );
        show(buttons, true);
        byId('approve-yes').focus();
      } catch (err) {
        fill(details);
        say(describeError(err), 'error');
        if (err.status === 404) done();
      }
    },
  };
}
