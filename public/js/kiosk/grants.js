import { byId, confirmButton, fill, h } from '../shared/dom.js';
import { describeError } from '../shared/errors.js';
import { request } from '../shared/socket-ack.js';
import { when } from '../shared/time.js';

const methods = { code: 'paired with a code', qr: 'logged in by QR' };

/** Paired clients of this home, refreshed on grant:created / grant:revoked, each with Revoke. */
export function grantsPanel(socket) {
  const list = byId('grant-list');
  const empty = byId('grant-empty');
  const error = byId('grants-error');

  const render = (grants) => {
    empty.hidden = grants.length > 0;
    fill(
      list,
      grants.map((grant) =>
        h(
          'li',
          { class: 'grant' },
          h(
            'div',
            {},
            h('h3', {}, grant.clientName),
            h('p', { class: 'detail' }, `${methods[grant.method] ?? grant.method} ${when(grant.createdAt)} · last used ${when(grant.lastUsedAt)} · ${grant.ip}`),
          ),
          confirmButton('Revoke', 'Confirm revoke', () => revoke(grant), { ariaLabel: `Revoke ${grant.clientName}` }),
        ),
      ),
    );
  };

  const refresh = async () => {
    try {
      const { grants } = await request(socket, 'grants:list');
      error.textContent = '';
      render(grants);
    } catch (err) {
      error.textContent = `Could not load paired clients: ${describeError(err)}`;
    }
  };

  const revoke = async (grant) => {
    try {
      await request(socket, 'grant:revoke', { grantId: grant.id });
      await refresh();
    } catch (err) {
      error.textContent = `Could not revoke “${grant.clientName}”: ${describeError(err)}`;
    }
  };

  socket.on('grant:created', refresh);
  socket.on('grant:revoked', refresh);
  return { refresh };
}
