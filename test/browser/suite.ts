import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { startRelay, type StartOptions, type TestRelay } from '../helpers/relay.ts';
import { browserUnavailable, ConsoleWatch, launchChromium, mustRun } from './harness.ts';

/** What every browser suite shares; `relay` and `browser` are set before the suite's first test. */
export interface BrowserSuite {
  relay: TestRelay;
  browser: Browser;
  readonly watch: ConsoleWatch;
}

/**
 * A describe block with a relay (real clock: browsers count real seconds for countdowns and token
 * expiry) and a Chromium, both closed after. Without Chromium it skips with the reason printed,
 * except under CI=true, where it fails.
 */
export function describeInBrowser(title: string, options: StartOptions, body: (suite: BrowserSuite) => void): void {
  const missing = browserUnavailable();
  describe.skipIf(missing !== null && !mustRun)(title, () => {
    const suite = { watch: new ConsoleWatch() } as BrowserSuite;
    beforeAll(async () => {
      if (missing) throw new Error(`browser tests must run under CI: ${missing}`);
      suite.relay = await startRelay({ clock: systemClock, ...options });
      suite.browser = await launchChromium();
    });
    afterAll(async () => {
      await suite.browser?.close();
      await suite.relay?.close();
    });
    body(suite);
  });
}
