import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const mustRun = process.env.CI === 'true';
export const RESULTS_DIR = 'test-results';

/**
 * Why browser tests cannot run here, or null. Outside CI a missing browser skips with this
 * reason printed; under CI=true the suite fails instead (a skip there would hide a broken setup).
 */
export function browserUnavailable(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `${CHROMIUM} not found (apt-get install chromium)`;
  if (!mustRun) console.warn(`skipping browser tests: ${reason}`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Collects console errors and uncaught exceptions of a page. Chromium also logs every non-2xx
 * fetch as "Failed to load resource"; those are expected where the flow provokes an API error,
 * so the test lists the statuses it expects and everything else counts as a problem.
 */
export class ConsoleWatch {
  readonly problems: string[] = [];
  private readonly expectedStatuses = new Set<number>();

  watch(page: Page, label: string): Page {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() !== 'error' && msg.type() !== 'warning') return;
      if (this.isExpectedHttpError(msg)) return;
      this.problems.push(`[${label}] console.${msg.type()}: ${msg.text()} (${msg.location().url})`);
    });
    page.on('pageerror', (err) => this.problems.push(`[${label}] uncaught: ${err.message}`));
    return page;
  }

  /** API error statuses the flow provokes on purpose (a wrong code → 401, …). */
  expectStatus(...statuses: number[]): void {
    for (const status of statuses) this.expectedStatuses.add(status);
  }

  private isExpectedHttpError(msg: ConsoleMessage): boolean {
    const match = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
    return match !== null && msg.location().url.includes('/api/v1/') && this.expectedStatuses.has(Number(match[1]));
  }
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}/${name}.png`;
  await page.screenshot({ path });
  return path;
}

/**
 * With UPDATE_SCREENSHOTS=1, copies a screenshot into docs/ (the committed ones the README and
 * docs/ui.md show). Off by default so test runs do not rewrite tracked files.
 */
export function publishScreenshot(path: string, name: string): void {
  if (process.env.UPDATE_SCREENSHOTS !== '1') return;
  mkdirSync('docs', { recursive: true });
  copyFileSync(path, `docs/${name}`);
}
