// @ts-check
import { byId } from '../shared/dom.js';
import { grantsList } from '../shared/grants-list.js';
import { api } from './api.js';

/** Paired clients of the home over REST (GET /api/v1/grants), each but this browser with Revoke. */
export function grantsView() {
  const view = grantsList({
    load: () => api('/api/v1/grants'),
    revoke: (id) => api(`/api/v1/grants/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  });
  byId('grants-refresh').addEventListener('click', view.refresh);
  return view;
}
