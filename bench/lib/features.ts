import { withServer } from './with-server.ts';

/**
 * Which relay features have landed on this branch. A route that exists answers 401 (or 201) to an
 * anonymous call; a missing one falls through to the contract's 404 `not_found`.
 */
export interface Features {
  devices: boolean;
  qr: boolean;
}

async function routeExists(url: string, method: string): Promise<boolean> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{}' } : {}) });
  const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
  return !(res.status === 404 && body?.error?.code === 'not_found');
}

async function probe(baseUrl: string): Promise<Features> {
  const [devices, qr] = await Promise.all([
    routeExists(`${baseUrl}/api/v1/devices`, 'GET'),
    // A probe on a made-up session id: session_not_found (404) means the route is there.
    routeExists(`${baseUrl}/api/v1/qr/sessions/bench-probe/events`, 'GET'),
  ]);
  return { devices, qr };
}

/** Starts a relay just long enough to ask it. */
export const detectFeatures = (): Promise<Features> => withServer('relay', {}, (server) => probe(server.target.url));
