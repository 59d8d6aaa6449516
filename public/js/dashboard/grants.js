import { byId, confirmButton, fill, h } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { when } from '../shared/time.js';
import { api } from './api.js';

const methods = { code: 'paired with a code', qr: 'logged in by QR' };

/** Paired clients of the home (GET /api/v1/grants), each but this browser with Revoke. */
export function grantsView() {
  const list = byId('grant-list');
  const error = byId('grants-error');

  const render = (grants) =>
    fill(
      list,
      grants.map((grant) =>
        h(
          'li',
          { class: 'grant' },
          h(
            'div',
            {},
            h('h3', {}, grant.clientName, grant.current ? h('span', { class: 'badge ok current' }, 'This browser') : null),
            h('p', { class: 'detail' }, `${methods[grant.method] ?? grant.method} ${when(grant.createdAt)} · last used ${when(grant.lastUsedAt)} · ${grant.ip}`),
          ),
          grant.current ? null : confirmButton('Revoke', 'Confirm revoke', () => revoke(grant), { ariaLabel: `Revoke ${grant.clientName}` }),
        ),
      ),
    );

  const refresh = async () => {
    try {
      const { grants } = await api('/api/v1/grants');
      error.textContent = '';
      render(grants);
    } catch (err) {
      error.textContent = `Could not load paired clients: ${describeError(err)}`;
    }
  };

  const revoke = async (grant) => {
    try {
      await api(`/api/v1/grants/${encodeURIComponent(grant.id)}`, { method: 'DELETE' });
    } catch (err) {
      if (err.code !== 'grant_not_found') error.textContent = `Could not revoke “${grant.clientName}”: ${describeError(err)}`;
    }
    await refresh();
  };

  byId('grants-refresh').addEventListener('click', refresh);
  return { refresh, clear: () => fill(list) };
}
