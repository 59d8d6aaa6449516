import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { closeSockets, connectKiosk, logSink, nextEvent } from '../helpers/relay.ts';
import { describeInBrowser } from './suite.ts';

/**
 * A real Chromium on a page of another site (http://localhost:<port> is another site than the
 * relay's http://127.0.0.1:<port>) that tries what a hostile page would: an <img> at the seed's
 * GET /auth/code, a no-cors fetch and a form POST at the code route. The browser sends its own
 * Sec-Fetch-Site and Origin headers; the relay must refuse them all and the kiosk show nothing.
 */
/** What the relay answered, read back from its request log (the browser may hide refused responses). */
const logs = logSink();
const answered = () =>
  logs
    .text()
    .split('\n')
    .filter((line) => line.includes('request completed'))
    .map((line) => JSON.parse(line) as { req: { method: string; path: string }; res: { status: number } })
    .map((entry) => `${entry.req.method} ${entry.req.path} ${entry.res.status}`);

describeInBrowser('a page on another site cannot make the browser ask for codes', { env: { LOG_LEVEL: 'info' }, logTo: logs.stream }, (suite) => {
  let evil: Server;
  let evilUrl = '';
  beforeAll(async () => {
    evil = createServer((_req, res) => {
      const relay = suite.relay.url;
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>evil</title>
        <form id="f" method="post" action="${relay}/api/v1/pairing/code" enctype="text/plain" target="sink"><input name='{"a":"' value='"}'></form>
        <iframe name="sink"></iframe>
        <script>
          window.attack = async () => {
            await new Promise((done) => { const img = new Image(); img.onload = img.onerror = done; img.src = '${relay}/auth/code'; });
            await fetch('${relay}/api/v1/pairing/code', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => {});
            document.getElementById('f').submit();
          };
        </script>`);
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    evilUrl = `http://localhost:${(evil.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    closeSockets();
    await new Promise((resolve) => evil?.close(resolve));
  });

  it('refuses the img, the fetch and the form with 403 forbidden_origin; the relay\'s own page still asks', async () => {
    const kiosk = await connectKiosk(suite.relay);
    const context = await suite.browser.newContext();
    const page = await context.newPage();
    const shown = nextEvent(kiosk, 'pairing:code', 2000).then(
      () => true,
      () => false,
    );
    await page.goto(evilUrl);
    await page.evaluate(() => (window as unknown as { attack(): Promise<void> }).attack());
    await expect.poll(() => answered().length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    expect(answered().sort()).toEqual(['GET /auth/code 403', 'POST /api/v1/pairing/code 403', 'POST /api/v1/pairing/code 403']);
    expect(await shown).toBe(false);

    // The same request from the relay's own origin is its own page asking: allowed.
    const own = await context.newPage();
    await own.goto(`${suite.relay.url}/healthz`);
    const arrives = nextEvent(kiosk, 'pairing:code', 5000);
    const status = await own.evaluate(async () => (await fetch('/api/v1/pairing/code', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(status).toBe(202);
    await arrives;
    await context.close();
  });
});
