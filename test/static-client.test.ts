import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRelay, type TestRelay } from './helpers/relay.ts';

describe('static pages and the Socket.IO browser client', () => {
  let relay: TestRelay;
  beforeEach(async () => {
    relay = await startRelay();
  });
  afterEach(async () => {
    await relay.close();
  });

  it('serves the Socket.IO client files whole (not emptied by the Express app)', async () => {
    for (const file of ['socket.io.js', 'socket.io.esm.min.js']) {
      const res = await fetch(`${relay.url}/socket.io/${file}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/javascript/);
      expect((await res.text()).length).toBeGreaterThan(10_000);
    }
  });

  it('serves the kiosk and the dashboard with a CSP that forbids inline scripts', async () => {
    for (const path of ['/', '/kiosk']) {
      const res = await fetch(`${relay.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const html = await res.text();
      expect(html).toMatch(/<script type="module" src="\/js\//);
      expect(html).not.toMatch(/<script>|\son[a-z]+="/i);
    }
  });

  it('serves the vendored QR encoder as a JavaScript module', async () => {
    const res = await fetch(`${relay.url}/vendor/qrcode.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(await res.text()).toMatch(/export\{/);
  });
});
