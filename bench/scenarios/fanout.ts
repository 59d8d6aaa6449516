import { runLoad } from '../lib/load.ts';
import { startServer, type RunningServer } from '../lib/servers.ts';
import type { FanoutParams, FanoutResult } from '../load/fanout.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 5: one device state change fanned out to many dashboards, relay and baseline alternating. */
export const fanout: Scenario = {
  name: 'fanout',
  title: 'Device state fan-out (device → last of N dashboards)',
  async run({ quick, features }) {
    if (!features.devices) return skipped('the devices feature (/device namespace, device:state) is not on this branch yet');
    const params = { dashboards: quick ? 300 : 2000, warmupRepeats: 3, repeats: quick ? 8 : 30, concurrency: 50, deadlineMs: 120_000 };
    const servers: RunningServer[] = [];
    let result: FanoutResult;
    try {
      servers.push(await startServer('relay'), await startServer('baseline'));
      result = await runLoad<FanoutResult>('fanout', { targets: servers.map((s) => s.target), ...params } satisfies FanoutParams);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
    const { relay, baseline } = result;
    if (!relay || !baseline) throw new Error('fan-out client returned no times');
    return {
      status: 'ok',
      rows: [
        row(`p50 to last of ${params.dashboards}`, 'ms', relay.p50, baseline.p50, { op: '<=', ratio: 0.9 }),
        row(`p99 to last of ${params.dashboards}`, 'ms', relay.p99, baseline.p99),
      ],
      notes: [
        `${params.repeats} state changes each, alternating relay/baseline, after ${params.warmupRepeats} warm-up ones; the client's own decoding of every message is included, for both.`,
      ],
    };
  },
};
