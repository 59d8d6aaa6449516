import { interleave } from '../lib/interleave.ts';
import { runLoadWithCpu } from '../lib/load.ts';
import { cpuUsPerOp, pool, type SequentialSample } from '../lib/stats.ts';
import type { PairingParams } from '../load/pairing.ts';
import { row, type Row } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 1: sequential pairing round trips; the relay on both its memory and its sqlite store. */
export const pairing: Scenario = {
  name: 'pairing',
  title: 'Pairing round trip, sequential (request → kiosk gets code → claim → token)',
  async run({ quick }) {
    const rounds = quick ? 2 : 4;
    const window = { warmupMs: 500, durationMs: (quick ? 2000 : 8000) / rounds };
    const results = await interleave(
      [
        { label: 'memory store', kind: 'relay', store: 'memory' },
        { label: 'sqlite store', kind: 'relay', store: 'sqlite' },
        { label: 'sqlite store, npm start defaults', kind: 'relay', store: 'sqlite', mode: 'default' },
        { label: 'baseline', kind: 'baseline' },
      ],
      rounds,
      (server) => runLoadWithCpu<SequentialSample>(server, 'pairing', { target: server.target, ...window } satisfies PairingParams),
    );
    const of = (label: string) => results.get(label) ?? [];
    const base = pool(of('baseline'));
    const rows = (label: string): Row[] => {
      const relay = pool(of(label));
      return [
        row(`p50 (${label})`, 'ms', relay.p50, base.p50, { op: '<=', ratio: label === 'memory store' ? 1.2 : 1.0 }),
        row(`p99 (${label})`, 'ms', relay.p99, base.p99),
        row(`round trips/s (${label})`, '/s', relay.throughput, base.throughput),
        row(`server CPU per round trip (${label})`, 'µs', cpuUsPerOp(of(label)), cpuUsPerOp(of('baseline'))),
      ];
    };
    return {
      status: 'ok',
      rows: [...rows('memory store'), ...rows('sqlite store'), ...rows('sqlite store, npm start defaults')],
      notes: [
        `${pool(of('memory store')).count} / ${pool(of('sqlite store')).count} / ${pool(of('sqlite store, npm start defaults')).count} / ${base.count} round trips (relay memory / sqlite / sqlite in default mode / baseline), in ${rounds} interleaved rounds.`,
        'Default mode: a bare `npm start` (no NODE_ENV, LOG_LEVEL info: a log line per pairing step, demo devices on), rate limits off as for the others.',
        'Per round trip the relay sends the kiosk 3 events (pairing:code, grant:created, pairing:claimed; all in the contract), the baseline 1.',
      ],
    };
  },
};
