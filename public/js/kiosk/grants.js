// @ts-check
import { grantsList } from '../shared/grants-list.js';
import { request } from '../shared/socket-ack.js';

/** Paired clients of this home over the kiosk socket, refreshed on grant:created / grant:revoked. */
export function grantsPanel(socket, log = null) {
  const view = grantsList({
    load: () => request(socket, 'grants:list'),
    revoke: (grantId) => request(socket, 'grant:revoke', { grantId }),
  });
  const events = log ?? socket;
  events.on('grant:created', view.refresh);
  events.on('grant:revoked', view.refresh);
  return { refresh: view.refresh };
}
