import { detectFeatures } from '../lib/features.ts';
import { runLoad } from '../lib/load.ts';
import type { LatencySummary } from '../lib/stats.ts';
import { withServer } from '../lib/with-server.ts';
import type { CommandParams } from '../load/commands.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 2: REST command → device ack → 200, sequential. */
export const commands: Scenario = {
  name: 'commands',
  title: 'Device command round trip, sequential (REST → device ack → 200)',
  async run({ quick }) {
    const window = { warmupMs: quick ? 500 : 1500, durationMs: quick ? 3000 : 8000 };
    const relay = await withServer('relay', {}, async (server) => {
      if (!(await detectFeatures(server.target.url)).devices) return null;
      return runLoad<LatencySummary>('commands', { target: server.target, ...window } satisfies CommandParams);
    });
    if (!relay) return skipped('the devices feature (GET /api/v1/devices, /device namespace) is not on this branch yet');
    const base = await withServer('baseline', {}, (server) => runLoad<LatencySummary>('commands', { target: server.target, ...window } satisfies CommandParams));
    return {
      status: 'ok',
      rows: [
        row('p50', 'ms', relay.p50, base.p50, { op: '<=', ratio: 1.2 }),
        row('p99', 'ms', relay.p99, base.p99),
        row('commands/s', '/s', relay.throughput, base.throughput),
      ],
      notes: [`${relay.count} / ${base.count} commands measured (relay / baseline).`],
    };
  },
};
