import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { heldBytes } from '../../src/realtime/slow-consumers.ts';
import { sleep } from '../helpers/devices.ts';
import { closeSockets, connectKiosk, pair, startRelay, tempDir } from '../helpers/relay.ts';
import { chaosLoop, commandLoop, connectLight, floodLoop, type Home, openDashboards, openStalledDashboards, pairingLoop, qrLoop, stateLoop, Tally } from './traffic.ts';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    await sleep(200);
  }
};
const heapMb = () => process.memoryUsage().heapUsed / 1024 / 1024;
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe(`soak: ${SECONDS} s of mixed traffic`, () => {
  it('serves pairing, commands, fan-out and QR logins beside a state flood and stalled readers: no unexpected 5xx, no lost acknowledged command, no growth', async () => {
    const relay = await startRelay({ clock: systemClock, env: { STORE: 'sqlite', DATA_DIR: tempDir(), RATE_LIMITS: 'off', DEVICE_COMMAND_TIMEOUT: '2s', PAIRING_LOCK_AFTER: '1000', PAIRING_LOCK_AFTER_FAILURES: '100000', PAIRING_CODE_REQUESTS: '1000000/1m' } });
    const tally = new Tally();
    try {
      const home: Home = { relay, kiosk: await connectKiosk(relay), devices: new Map(), dashboards: [], token: '' };
      home.token = (await pair(relay, { kiosk: home.kiosk! })).token;
      // flood-1 also takes commands: its acknowledged ones must arrive although it floods.
      for (const id of ['light-1', 'light-2', 'light-3', 'light-4', 'flood-1']) await connectLight(home, tally, id);
      await openDashboards(home, tally, 20);
      await openStalledDashboards(home, 3);
      // No socket may make the relay hold much past SOCKET_MAX_BUFFER (1 MiB; one 250 ms sweep of slack).
      let maxHeld = 0;
      const sampler = setInterval(() => {
        for (const socket of relay.server.io.of('/').sockets.values()) maxHeld = Math.max(maxHeld, heldBytes(socket.conn as never));
      }, 100);

      const phase = async (seconds: number) => {
        const until = Date.now() + seconds * 1000;
        await Promise.all([
          pairingLoop(home, tally, until),
          commandLoop(home, tally, until),
          commandLoop(home, tally, until),
          stateLoop(home, until),
          chaosLoop(home, tally, until),
          qrLoop(home, tally, until),
          floodLoop(home, 'flood-1', until),
        ]);
      };
      // Warm up (JIT, pools, caches), then measure, then run the rest of the soak and measure again.
      await phase(Math.max(5, SECONDS * 0.2));
      await settle();
      const heapBefore = heapMb();
      const timersBefore = timers();
      await phase(SECONDS * 0.8);
      await sleep(2500); // let in-flight commands time out
      await settle();
      const heapAfter = heapMb();
      const timersAfter = timers();
      clearInterval(sampler);

      const summary = Object.fromEntries([...tally.statuses.entries()].sort());
      console.log(JSON.stringify({ seconds: SECONDS, summary, acknowledged: tally.acknowledged.size, stateEventsSeen: tally.stateEventsSeen, qrLogins: tally.qrLogins, maxHeldBytes: maxHeld, heapBefore, heapAfter, timersBefore, timersAfter }, null, 2));

      expect(tally.unexpected).toEqual([]);
      expect(tally.acknowledged.size).toBeGreaterThan(SECONDS); // traffic really flowed
      const lost = [...tally.acknowledged].filter(([commandId, deviceId]) => !tally.receivedBy(deviceId).has(commandId));
      expect(lost).toEqual([]);
      expect(tally.stateEventsSeen).toBeGreaterThan(0);
      expect(tally.qrLogins).toBeGreaterThan(0);
      expect(heapAfter - heapBefore).toBeLessThan(25);
      expect(maxHeld).toBeLessThan(2 * 1024 * 1024);
      expect(timersAfter - timersBefore).toBeLessThan(20);
    } finally {
      closeSockets();
      await relay.close();
    }
  });
});
