/**
 * `node --import tsx bench/tools/resume-fanout.ts [store] [dashboards]`: fan-out of device states to
 * dashboards that resume (`auth.since`) against plain ones, in alternating rounds on one relay (both
 * kinds connected all along, so each round pays for the other kind's emit too, as a mixed home would).
 * Client and server share this process.
 */
import { systemClock } from '../../src/clock.ts';
import { connectDevice } from '../../test/helpers/devices.ts';
import { closeSockets, connectDashboard, pair, startRelay } from '../../test/helpers/relay.ts';
import { resumingDashboard } from '../../test/helpers/resume.ts';

const store = process.argv[2] ?? 'sqlite';
const count = Number(process.argv[3] ?? 500);
const relay = await startRelay({ clock: systemClock, env: { STORE: store, RATE_LIMITS: 'off', DEVICE_STATE_RATE: '100000', DEVICE_STATE_BURST: '100000' } });
const { token } = await pair(relay);
const lamp = await connectDevice(relay);
const plain = await Promise.all(Array.from({ length: count }, () => connectDashboard(relay, token)));
const resuming = Array.from({ length: count }, () => resumingDashboard(relay.url, token));
await Promise.all(resuming.map((r) => r.ready));

/** ms from a state report until every socket of the kind has it (p50 over `n` reports). */
async function round(kind: 'plain' | 'resuming', n: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const level = Math.random();
    const sockets = kind === 'plain' ? plain : resuming.map((r) => r.socket);
    const started = performance.now();
    const arrived = Promise.all(
      sockets.map((s) => new Promise<void>((resolve) => {
        const on = (d: { state: { level?: number } }) => {
          if (d.state.level !== level) return;
          s.off('device:state', on);
          resolve();
        };
        s.on('device:state', on);
      })),
    );
    lamp.socket.emit('state', { state: { on: true, level } });
    await arrived;
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

for (let r = 0; r < 4; r++) {
  const a = await round('plain', 20);
  const b = await round('resuming', 20);
  console.log(`round ${r}: all ${count} plain ${a.toFixed(1)} ms, all ${count} resuming ${b.toFixed(1)} ms`);
}
closeSockets();
for (const r of resuming) r.socket.close();
await relay.close();
