// @ts-check
import { toString as qrSvg } from '../../vendor/qrcode.js';
import { byId, fill, h, show } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { api } from './api.js';

const say = (el, text, kind = 'info') => {
  el.textContent = text;
  el.className = `message ${kind}`;
};

/** `datetime-local` wants local time without seconds or zone. */
const localInput = (ms) => {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

/**
 * "Invite a guest": pick devices and, for each, what the guest may do; pick when the access ends.
 * The relay answers with a code and a link (its QR is drawn here); the guest opens the link.
 */
export function inviteView() {
  const form = byId('invite-form');
  const picker = byId('invite-devices');
  const until = /** @type {HTMLInputElement} */ (byId('invite-until'));
  const status = byId('invite-status');
  const result = byId('invite-result');
  let devices = [];

  const renderPicker = () => {
    const chosen = new Set([.../** @type {NodeListOf<HTMLInputElement>} */ (picker.querySelectorAll('input[data-device]:checked'))].map((el) => el.dataset.device));
    fill(
      picker,
      h('legend', {}, 'Devices and what the guest may do'),
      devices.length === 0 ? h('p', { class: 'empty' }, 'No devices have connected yet.') : null,
      devices.map((device) => {
        const id = `invite-device-${device.id}`;
        return h(
          'div',
          { class: 'invite-device' },
          h('input', { type: 'checkbox', id, dataset: { device: device.id }, checked: chosen.has(device.id) }),
          h('label', { for: id }, device.name),
          h(
            'span',
            { class: 'invite-actions', role: 'group', 'aria-label': `What the guest may do with ${device.name}` },
            device.actions.map((action) => {
              const actionId = `${id}-${action}`;
              return h(
                'span',
                { class: 'invite-action' },
                h('input', { type: 'checkbox', id: actionId, dataset: { action, of: device.id }, checked: true }),
                h('label', { for: actionId }, action.replace(/_/g, ' ')),
              );
            }),
          ),
        );
      }),
    );
  };

  const load = async () => {
    try {
      ({ devices } = await api('/api/v1/devices'));
      devices.sort((a, b) => a.name.localeCompare(b.name));
      renderPicker();
    } catch (err) {
      say(status, `Could not load devices: ${describeError(err)}`, 'error');
    }
  };

  const scopeOf = () => {
    const ids = [.../** @type {NodeListOf<HTMLInputElement>} */ (picker.querySelectorAll('input[data-device]:checked'))].map((el) => el.dataset.device);
    const actions = {};
    for (const id of ids) {
      actions[id] = [.../** @type {NodeListOf<HTMLInputElement>} */ (picker.querySelectorAll('input[data-action]:checked'))].filter((el) => el.dataset.of === id).map((el) => el.dataset.action);
    }
    return { devices: ids, actions };
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const scope = scopeOf();
    const clientName = /** @type {HTMLInputElement} */ (byId('invite-name')).value.trim() || 'Guest';
    if (scope.devices.length === 0) return say(status, 'Pick at least one device for the guest.', 'error');
    const end = new Date(until.value).getTime();
    if (!(end > Date.now())) return say(status, 'Pick an end time in the future.', 'error');
    try {
      const invite = await api('/api/v1/guests', { method: 'POST', body: { clientName, scope, notAfter: new Date(end).toISOString() } });
      byId('invite-code').textContent = invite.code;
      const link = /** @type {HTMLAnchorElement} */ (byId('invite-url'));
      link.textContent = invite.inviteUrl;
      link.href = invite.inviteUrl;
      byId('invite-expires').textContent = new Date(invite.expiresAt).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
      const svg = await qrSvg(invite.inviteUrl, { type: 'svg', errorCorrectionLevel: 'M', margin: 2, color: { dark: '#000000', light: '#ffffff' } });
      /** @type {HTMLImageElement} */ (byId('invite-qr')).src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
      show(result, true);
      say(status, `Invite for ${clientName} created. Give them the code or the link; it works once.`, 'success');
    } catch (err) {
      say(status, `Could not create the invite: ${describeError(err)}`, 'error');
    }
  });

  return {
    refresh() {
      until.value ||= localInput(Date.now() + 2 * 3600_000);
      void load();
    },
    clear() {
      show(result, false);
      devices = [];
      fill(picker);
    },
  };
}
