import { runLoad } from '../lib/load.ts';
import { withServer } from '../lib/with-server.ts';
import type { FanoutParams, FanoutResult } from '../load/fanout.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 5: one device state change fanned out to many dashboards. */
export const fanout: Scenario = {
  name: 'fanout',
  title: 'Device state fan-out (device → last of N dashboards)',
  async run({ quick, features }) {
    if (!features.devices) return skipped('the devices feature (/device namespace, device:state) is not on this branch yet');
    const params = { dashboards: quick ? 500 : 2000, warmupRepeats: 3, repeats: quick ? 10 : 30, concurrency: 50, deadlineMs: 120_000 };
    const relay = await withServer('relay', {}, (server) => runLoad<FanoutResult>('fanout', { target: server.target, ...params } satisfies FanoutParams));
    const base = await withServer('baseline', {}, (server) => runLoad<FanoutResult>('fanout', { target: server.target, ...params } satisfies FanoutParams));
    return {
      status: 'ok',
      rows: [
        row(`p50 to last of ${params.dashboards}`, 'ms', relay.p50, base.p50, { op: '<=', ratio: 1.2 }),
        row(`p99 to last of ${params.dashboards}`, 'ms', relay.p99, base.p99),
      ],
      notes: [`${params.repeats} state changes after ${params.warmupRepeats} warm-up ones; the client's own decoding of every message is included, for both.`],
    };
  },
};
