import { beforeEach, describe, expect, it } from 'vitest';
import { clientKey } from '../src/net/client-key.ts';
import { connectSocket, HUB_KEY, postJson, type TestRelay, useRelay } from './helpers/relay.ts';

/**
 * An IPv6 customer gets a whole /64: 2^64 addresses to rotate through. These attacks walk one
 * /64 behind a trusted proxy (TRUST_PROXY=loopback, so X-Forwarded-For is the client) and show the
 * per-IP limits hold for the prefix, while a neighbour in another /64 is unaffected.
 */
describe('per-IP limits count an IPv6 client by its /64', () => {
  const current = useRelay({ env: { TRUST_PROXY: 'loopback', STORE: 'sqlite' } });
  let relay: TestRelay;
  beforeEach(() => {
    relay = current();
  });

  const inPrefix = (i: number) => `2001:db8:7:1:${(i + 1).toString(16)}::${((i * 7919) % 65_536).toString(16)}`;
  const neighbour = '2001:db8:7:2::1';

  it('claims: 20 a minute for the whole /64, whatever address each comes from', async () => {
    const claim = (ip: string) => postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' }, { 'x-forwarded-for': ip });
    for (let i = 0; i < 20; i++) expect((await claim(inPrefix(i))).status).toBe(401);
    const limited = await claim(inPrefix(20));
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    // Written the long way, it is still the same /64.
    expect((await claim('2001:0db8:0007:0001:0000:0000:0000:0001')).status).toBe(429);
    expect((await claim(neighbour)).status).toBe(401);
  });

  it('code requests: 10 a minute for the whole /64', async () => {
    const ask = (ip: string) => postJson(`${relay.url}/api/v1/pairing/code`, {}, { 'x-forwarded-for': ip });
    // No kiosk: each request is answered 503, after the per-IP limit has counted it.
    for (let i = 0; i < 10; i++) expect((await ask(inPrefix(i))).status).toBe(503);
    expect((await ask(inPrefix(10))).status).toBe(429);
    expect((await ask(neighbour)).status).toBe(503);
  });

  it('refused socket handshakes: 20 a minute for the whole /64, then even the right key is refused', async () => {
    const kioskFrom = (ip: string, hubKey: string) =>
      connectSocket(`${relay.url}/kiosk`, { serial: 'home-1', hubKey }, { extraHeaders: { 'x-forwarded-for': ip } });
    for (let i = 0; i < 20; i++) await expect(kioskFrom(inPrefix(i), `wrong-key-${i}-0123456789`)).rejects.toMatchObject({ message: 'invalid_hub_key' });
    await expect(kioskFrom(inPrefix(21), HUB_KEY)).rejects.toMatchObject({ message: 'rate_limited' });
    await expect(kioskFrom(neighbour, HUB_KEY)).resolves.toBeTruthy();
  });
});

describe('clientKey', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6 and cuts IPv6 to its /64', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:7:1::1')).toBe('2001:db8:7:1::/64');
    expect(clientKey('2001:DB8:0007:0001:ffff:1:2:3')).toBe('2001:db8:7:1::/64');
    expect(clientKey('2001:db8:7:1:0:0:1.2.3.4')).toBe('2001:db8:7:1::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('2001:db8:7:2::1')).not.toBe(clientKey('2001:db8:7:1::1'));
  });
});
