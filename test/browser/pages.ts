import type { Browser, Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { HUB_KEY } from '../helpers/relay.ts';
import type { ConsoleWatch } from './harness.ts';

/** Polls `read` until what it returns matches `want`; fails with the last value seen. */
export async function eventually(
  read: () => Promise<string | null>,
  want: RegExp | ((value: string) => boolean),
  timeout = 8000,
): Promise<string> {
  const deadline = Date.now() + timeout;
  const ok = typeof want === 'function' ? want : (value: string) => want.test(value);
  let last: string | null = null;
  for (;;) {
    last = await read();
    if (last !== null && ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`expected ${want}, last saw ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until a locator's text matches (the page updates asynchronously). */
export function textOf(locator: Locator, pattern: RegExp, timeout = 8000): Promise<string> {
  return eventually(async () => ((await locator.count()) > 0 ? await locator.first().textContent() : null), pattern, timeout);
}

/** The intercom screen, opened as `npm start` prints it: `/kiosk#serial=…&key=…`. */
export class Kiosk {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, url: string, watch: ConsoleWatch): Promise<Kiosk> {
    const context = await browser.newContext({ viewport: { width: 1024, height: 600 } });
    const page = watch.watch(await context.newPage(), 'kiosk');
    await page.goto(`${url}/kiosk#serial=home-1&key=${HUB_KEY}`);
    const kiosk = new Kiosk(page);
    await textOf(kiosk.status, /^Connected$/);
    return kiosk;
  }

  get status(): Locator {
    return this.page.locator('#connection');
  }

  /** The six digits as a person reads them off the screen. */
  async readCode(): Promise<string> {
    const code = this.page.locator('#pairing-code');
    await code.waitFor({ state: 'visible' });
    const text = (await code.textContent()) ?? '';
    return text.replace(/\D/g, '');
  }

  grant(name: string): Locator {
    return this.page.locator('#grant-list li', { hasText: name });
  }

  device(name: string): Locator {
    return this.page.locator('#device-list li', { hasText: name });
  }
}

/** The remote dashboard in its own browser context (its own localStorage). */
export class Dashboard {
  constructor(readonly page: Page) {}

  static async open(browser: Browser, url: string, watch: ConsoleWatch, label: string, path = '/'): Promise<Dashboard> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = watch.watch(await context.newPage(), label);
    await page.goto(`${url}${path}`);
    return new Dashboard(page);
  }

  /** A new browser paired with the code shown on `kiosk`, as a person does it. */
  static async paired(browser: Browser, url: string, watch: ConsoleWatch, kiosk: Kiosk, clientName: string, label = clientName): Promise<Dashboard> {
    const dash = await Dashboard.open(browser, url, watch, label);
    await dash.requestCode(clientName);
    await dash.typeCode(await kiosk.readCode());
    await dash.expectSignedIn();
    return dash;
  }

  device(name: string): Locator {
    return this.page.locator('#device-list li', { hasText: name });
  }

  async requestCode(clientName: string): Promise<void> {
    await this.page.getByLabel('Name for this browser').fill(clientName);
    await this.page.getByRole('button', { name: 'Show code on my intercom' }).click();
    await textOf(this.page.locator('#request-status'), /code is now on your intercom/);
  }

  async typeCode(code: string): Promise<void> {
    await this.page.getByLabel('Code from the intercom').fill(code);
    await this.page.getByRole('button', { name: 'Pair this browser' }).click();
  }

  async expectSignedIn(): Promise<void> {
    await this.page.locator('#signed-in').waitFor({ state: 'visible' });
    await textOf(this.page.locator('#live-status'), /^Live$/);
  }

  async expectSignedOut(reason: RegExp): Promise<void> {
    await this.page.locator('#signed-out').waitFor({ state: 'visible' });
    await textOf(this.page.locator('#notice'), reason);
    expect(await this.page.evaluate(() => localStorage.getItem('home-relay.session'))).toBeNull();
  }
}
