import { afterAll, describe, expect, it } from 'vitest';
import { stopAllChildren } from '../bench/lib/children.ts';
import { measureIdleHomes, perSocketKb } from '../bench/lib/idle-homes.ts';

/**
 * The short form of the 100,000-socket bench (issue 16, `npm run bench -- --only idle100k`):
 * 2,000 sockets in 200 homes (1 kiosk, 3 devices, 6 dashboards each) from two child processes
 * at 2,000/s, against the relay's real entry point on SQLite.
 */
describe('2,000 idle sockets on one relay', () => {
  afterAll(() => stopAllChildren());

  it('all connect, a command round trip works while they are held, and SIGTERM drains them cleanly', async () => {
    const m = await measureIdleHomes({ count: 2000, ratePerSec: 2000, commandMs: 1000 });
    console.log(
      `idle sockets: ${m.connected} connected in ${Math.round(m.connectMs)} ms, RSS ${(m.rssAfterBytes / 1048576).toFixed(1)} MB ` +
        `(${perSocketKb(m).toFixed(1)} KB/socket), loop p99 ${m.loop.p99.toFixed(1)} ms, command p50 ${m.command.p50.toFixed(2)} ms, drain ${Math.round(m.drain.ms)} ms`,
    );
    expect(m.failures).toEqual([]);
    expect(m.connected).toBe(2000);
    expect(m.mix).toEqual({ kiosks: 200, devices: 600, dashboards: 1200 });
    expect(m.command.count).toBeGreaterThan(0);
    // A clean exit: code 0 within the grace period, not the SIGKILL after it.
    expect(m.drain.how).toBe('0');
    expect(m.drain.ms).toBeLessThan(30_000);
  }, 120_000);
});
