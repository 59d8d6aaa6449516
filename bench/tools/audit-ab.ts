/**
 * `node --import tsx bench/tools/audit-ab.ts [memory|sqlite] [noemit]`: what the audit log costs a
 * device command. One relay in this process, a device and a kiosk; rounds of 1000 sequential REST
 * commands alternate between the real `audit.record` and a no-op, so both halves see the same
 * machine load. `noemit` also drops the kiosks' live `audit:entry`, separating the write from the
 * push. Client and server share this process: CPU per command includes both sides.
 */
import { systemClock } from '../../src/clock.ts';
import type { AuditService } from '../../src/audit/service.ts';
import { command, connectDevice } from '../../test/helpers/devices.ts';
import { closeSockets, connectKiosk, pair, startRelay } from '../../test/helpers/relay.ts';

const store = process.argv[2] ?? 'memory';
const relay = await startRelay({ clock: systemClock, env: { STORE: store, RATE_LIMITS: 'off' } });
const kiosk = await connectKiosk(relay);
const { token } = await pair(relay, { kiosk });
await connectDevice(relay);
// Reaching into the service on purpose: this tool swaps its methods to compare.
const audit = relay.server.services.audit as unknown as { record: AuditService['record']; deps: { onEntry?: unknown } };
if (process.argv[3] === 'noemit') audit.deps.onEntry = () => {};
const live = audit.record.bind(relay.server.services.audit);

async function round(n: number): Promise<{ p50: number; cpuUs: number }> {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await command(relay, token, 'lamp-1', { action: i % 2 ? 'turn_on' : 'turn_off' });
    if (res.status !== 200) throw new Error(`command answered ${res.status}`);
    times.push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpu0);
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(n / 2)] ?? 0, cpuUs: (cpu.user + cpu.system) / n };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const samples = { on: { p50: [] as number[], cpu: [] as number[] }, off: { p50: [] as number[], cpu: [] as number[] } };
await round(500); // warm-up
for (let r = 0; r < 8; r++) {
  for (const mode of r % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
    audit.record = mode === 'on' ? live : () => {};
    const { p50, cpuUs } = await round(1000);
    samples[mode].p50.push(p50);
    samples[mode].cpu.push(cpuUs);
  }
}
const on = median(samples.on.p50);
const off = median(samples.off.p50);
console.log(
  `${store}${process.argv[3] === 'noemit' ? ' (no live push)' : ''}: command p50 with audit ${on.toFixed(3)} ms, without ${off.toFixed(3)} ms ` +
    `(${((on / off - 1) * 100).toFixed(1)} %); CPU per command ${median(samples.on.cpu).toFixed(0)} vs ${median(samples.off.cpu).toFixed(0)} µs`,
);
closeSockets();
await relay.close();
process.exit(0);
