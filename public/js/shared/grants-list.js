import { byId, confirmButton, fill, h } from './dom.js';
import { describeError } from './errors.js';
import { when } from './time.js';

const methods = { code: 'paired with a code', qr: 'logged in by QR' };

/**
 * The paired-clients list both pages show (`#grant-list`, `#grants-error`, optional `#grant-empty`):
 * each client with how and when it paired, and Revoke for all but the viewer's own grant.
 * `load` returns `{ grants }`; `revoke` ends one grant. The page decides the transport.
 */
export function grantsList({ load, revoke }) {
  const list = byId('grant-list');
  const empty = document.getElementById('grant-empty');
  const error = byId('grants-error');

  const render = (grants) => {
    if (empty) empty.hidden = grants.length > 0;
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
          grant.current ? null : confirmButton('Revoke', 'Confirm revoke', () => end(grant), { ariaLabel: `Revoke ${grant.clientName}` }),
        ),
      ),
    );
  };

  const refresh = async () => {
    try {
      const { grants } = await load();
      error.textContent = '';
      render(grants);
    } catch (err) {
      error.textContent = `Could not load paired clients: ${describeError(err)}`;
    }
  };

  const end = async (grant) => {
    try {
      await revoke(grant.id);
    } catch (err) {
      // Already gone (revoked elsewhere a moment ago) is what the user wanted anyway.
      if (err.code !== 'grant_not_found') error.textContent = `Could not revoke “${grant.clientName}”: ${describeError(err)}`;
    }
    await refresh();
  };

  return { refresh, clear: () => fill(list) };
}
