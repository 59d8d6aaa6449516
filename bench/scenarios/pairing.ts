import { runLoad } from '../lib/load.ts';
import type { LatencySummary } from '../lib/stats.ts';
import { withServer } from '../lib/with-server.ts';
import type { PairingParams } from '../load/pairing.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 1: sequential pairing round trips; the relay on both its memory and its sqlite store. */
export const pairing: Scenario = {
  name: 'pairing',
  title: 'Pairing round trip, sequential (request → kiosk gets code → claim → token)',
  async run({ quick }) {
    const window = { warmupMs: quick ? 500 : 1500, durationMs: quick ? 3000 : 8000 };
    const measure = (kind: 'relay' | 'baseline', store?: 'memory' | 'sqlite') =>
      withServer(kind, store ? { store } : {}, (server) => runLoad<LatencySummary>('pairing', { target: server.target, ...window } satisfies PairingParams));
    const memory = await measure('relay', 'memory');
    const sqlite = await measure('relay', 'sqlite');
    const base = await measure('baseline');
    return {
      status: 'ok',
      rows: [
        row('p50 (memory store)', 'ms', memory.p50, base.p50, { op: '<=', ratio: 1.2 }),
        row('p99 (memory store)', 'ms', memory.p99, base.p99),
        row('round trips/s (memory store)', '/s', memory.throughput, base.throughput),
        row('p50 (sqlite store)', 'ms', sqlite.p50, base.p50, { op: '<=', ratio: 1.2 }),
        row('p99 (sqlite store)', 'ms', sqlite.p99, base.p99),
        row('round trips/s (sqlite store)', '/s', sqlite.throughput, base.throughput),
      ],
      notes: [`${memory.count} / ${sqlite.count} / ${base.count} round trips measured (relay memory / relay sqlite / baseline).`],
    };
  },
};
