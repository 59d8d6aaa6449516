// @ts-check
import { byId, confirmButton, fill, h } from './dom.js';
import { describeError } from './errors.js';
import { when } from './time.js';

const methods = { code: 'paired with a code', qr: 'logged in by QR' };

/** "2 h 5 min" until an ISO time ("ended" once past). */
function remaining(iso) {
  const minutes = Math.ceil((Date.parse(iso) - Date.now()) / 60_000);
  if (!(minutes > 0)) return 'ended';
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  return days > 0 ? `${days} d ${hours} h` : hours > 0 ? `${hours} h ${mins} min` : `${mins} min`;
}

/** A guest grant's terms in a line: what it may touch, for how long, how many commands are left. */
export function guestTerms(grant) {
  const { scope } = grant;
  const devices = scope.devices === '*' ? 'all devices' : scope.devices.join(', ');
  const actions = scope.actions === 'read' ? 'view only' : 'may control';
  const uses = grant.maxUses === undefined ? '' : ` · ${grant.uses ?? 0}/${grant.maxUses} commands used`;
  return `Guest · ${devices} (${actions}) · ends in ${remaining(grant.notAfter)}${uses}`;
}

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
            grant.scope ? h('p', { class: 'detail guest-terms' }, guestTerms(grant)) : null,
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
