import type { Socket } from 'socket.io-client';
import type { ServerKind, Target } from '../lib/servers.ts';
import { expectStatus, type HttpClient } from './http.ts';
import { nextEvent, type SocketSpec } from './sockets.ts';

/** The same user action spoken to each server: the relay's contract (API.md) or the seed's routes. */
export interface Dialect {
  kiosk(target: Target, localAddress?: string): SocketSpec;
  /** A device agent; the baseline knows no namespaces or hub keys, only a deviceId. */
  device(target: Target, deviceId: string, localAddress?: string): SocketSpec;
  dashboard(target: Target, token: string, localAddress?: string): SocketSpec;
  /** The event that carries a fresh pairing code to the kiosk. */
  codeEvent: string;
  /** `serial`: which home (the relay needs it once it has more than one). */
  requestCode(http: HttpClient, serial?: string): Promise<void>;
  claim(http: HttpClient, code: string, serial?: string): Promise<string>;
  /** Authenticated read used for throughput; the relay's depends on which features have landed. */
  readPath(feature: 'devices' | 'me'): string;
  commandPath(deviceId: string): string;
}

const deviceAuth = (deviceId: string) => ({
  deviceId,
  name: `Bench ${deviceId}`,
  type: 'light',
  actions: ['toggle', 'set'],
  state: { on: false, level: 0 },
});

const at = (localAddress: string | undefined) => (localAddress ? { localAddress } : {});

const relay: Dialect = {
  kiosk: (t, la) => ({ url: `${t.url}/kiosk`, auth: { serial: t.serial, hubKey: t.hubKey }, ...at(la) }),
  device: (t, id, la) => ({ url: `${t.url}/device`, auth: { serial: t.serial, hubKey: t.hubKey, ...deviceAuth(id) }, ...at(la) }),
  dashboard: (t, token, la) => ({ url: t.url, auth: { token }, ...at(la) }),
  codeEvent: 'pairing:code',
  async requestCode(http, serial) {
    expectStatus(await http.send('POST', '/api/v1/pairing/code', { body: { clientName: 'bench', ...(serial ? { serial } : {}) } }), 202, 'pairing code');
  },
  async claim(http, code, serial) {
    const res = expectStatus(await http.send('POST', '/api/v1/pairing/claim', { body: { code, clientName: 'bench', ...(serial ? { serial } : {}) } }), 201, 'pairing claim');
    return res.body.token as string;
  },
  readPath: (feature) => (feature === 'devices' ? '/api/v1/devices' : '/api/v1/me'),
  commandPath: (id) => `/api/v1/devices/${encodeURIComponent(id)}/commands`,
};

const baseline: Dialect = {
  kiosk: (t, la) => ({ url: t.url, auth: {}, ...at(la) }),
  device: (t, id, la) => ({ url: t.url, auth: deviceAuth(id), ...at(la) }),
  dashboard: (t, token, la) => ({ url: t.url, auth: { token }, ...at(la) }),
  codeEvent: 'code',
  async requestCode(http) {
    expectStatus(await http.send('GET', '/auth/code'), 200, 'auth code');
  },
  async claim(http, code) {
    const res = expectStatus(await http.send('POST', '/auth/codecheck', { headers: { code } }), 201, 'codecheck');
    return res.body.token as string;
  },
  readPath: (feature) => (feature === 'devices' ? '/devices' : '/me'),
  commandPath: (id) => `/devices/${encodeURIComponent(id)}/commands`,
};

export const dialects: Record<ServerKind, Dialect> = { relay, baseline };

/** The whole pairing round trip as a user does it: ask, read the code off the kiosk, claim it. */
export async function pairOnce(dialect: Dialect, http: HttpClient, kiosk: Socket, serial?: string): Promise<string> {
  // Both sides at once: the code may reach the kiosk before or after the HTTP answer.
  const [{ code }] = await Promise.all([nextEvent<{ code: string }>(kiosk, dialect.codeEvent), dialect.requestCode(http, serial)]);
  return dialect.claim(http, code, serial);
}
