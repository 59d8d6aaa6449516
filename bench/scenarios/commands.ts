import { interleave } from '../lib/interleave.ts';
import { runLoadWithCpu } from '../lib/load.ts';
import { cpuUsPerOp, pool, type SequentialSample } from '../lib/stats.ts';
import type { CommandParams } from '../load/commands.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/** Scenario 2: REST command → device ack → 200, sequential. */
export const commands: Scenario = {
  name: 'commands',
  title: 'Device command round trip, sequential (REST → device ack → 200)',
  async run({ quick, features }) {
    if (!features.devices) {
      return skipped('the devices feature (GET /api/v1/devices, /device namespace) is not on this branch yet');
    }
    const rounds = quick ? 2 : 4;
    const window = { warmupMs: 500, durationMs: (quick ? 2000 : 8000) / rounds };
    const results = await interleave(
      [
        { label: 'relay', kind: 'relay' },
        { label: 'baseline', kind: 'baseline' },
      ],
      rounds,
      (server) => runLoadWithCpu<SequentialSample>(server, 'commands', { target: server.target, ...window } satisfies CommandParams),
    );
    const relayRounds = results.get('relay') ?? [];
    const baseRounds = results.get('baseline') ?? [];
    const relay = pool(relayRounds);
    const base = pool(baseRounds);
    return {
      status: 'ok',
      rows: [
        row('p50', 'ms', relay.p50, base.p50, { op: '<=', ratio: 0.7 }),
        row('p99', 'ms', relay.p99, base.p99),
        row('commands/s', '/s', relay.throughput, base.throughput),
        row('server CPU per command', 'µs', cpuUsPerOp(relayRounds), cpuUsPerOp(baseRounds)),
      ],
      notes: [`${relay.count} / ${base.count} commands (relay / baseline), in ${rounds} interleaved rounds.`],
    };
  },
};
