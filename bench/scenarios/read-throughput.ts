import { interleave } from '../lib/interleave.ts';
import { runLoadWithCpu } from '../lib/load.ts';
import { cpuUsPerOp, median } from '../lib/stats.ts';
import type { ThroughputParams, ThroughputResult } from '../load/throughput.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

const CONNECTIONS = 50;

type Round = ThroughputResult & { cpuMs: number };

/** Scenario 3: authenticated reads with autocannon, 50 connections, in interleaved rounds. */
export const readThroughput: Scenario = {
  name: 'read',
  title: `Authenticated GET throughput (autocannon, ${CONNECTIONS} connections)`,
  async run({ quick, features }) {
    const rounds = quick ? 2 : 4;
    // GET /api/v1/devices once the devices feature has landed; /api/v1/me until then.
    const feature: ThroughputParams['feature'] = features.devices ? 'devices' : 'me';
    const timing = { connections: CONNECTIONS, feature, warmupSeconds: 1, durationSeconds: (quick ? 3 : 12) / rounds };
    const results = await interleave(
      [
        { label: 'relay', kind: 'relay' },
        { label: 'baseline', kind: 'baseline' },
      ],
      rounds,
      (server) => runLoadWithCpu<ThroughputResult>(server, 'throughput', { target: server.target, ...timing } satisfies ThroughputParams),
    );
    const relay = results.get('relay') ?? [];
    const base = results.get('baseline') ?? [];
    const rate = (rs: Round[]) => rs.reduce((sum, r) => sum + r.count, 0) / (rs.length * timing.durationSeconds);
    const bad = [...relay, ...base].filter((r) => r.non2xx > 0 || r.errors > 0);
    return {
      status: bad.length > 0 ? 'failed' : 'ok',
      ...(bad.length > 0 ? { reason: `non-2xx or errors: ${bad.map((r) => `${r.path} ${r.non2xx} non-2xx, ${r.errors} errors`).join('; ')}` } : {}),
      rows: [
        row('requests/s', 'req/s', rate(relay), rate(base), { op: '>=', ratio: 2 }),
        row('p50 latency (median of rounds)', 'ms', median(relay.map((r) => r.p50)), median(base.map((r) => r.p50))),
        row('p99 latency (median of rounds)', 'ms', median(relay.map((r) => r.p99)), median(base.map((r) => r.p99))),
        row('server CPU per request', 'µs', cpuUsPerOp(relay), cpuUsPerOp(base)),
      ],
      notes: [`relay ${relay[0]?.path} vs baseline ${base[0]?.path}; ${rounds} interleaved rounds of ${timing.durationSeconds} s (after 1 s warm-up each).`],
    };
  },
};
