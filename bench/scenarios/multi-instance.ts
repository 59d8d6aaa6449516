import { runLoadWithCpu } from '../lib/load.ts';
import { startBenchRedis, redisBinary } from '../lib/redis-server.ts';
import { startServer, type RunningServer } from '../lib/servers.ts';
import { pool, type SequentialSample } from '../lib/stats.ts';
import type { CommandParams } from '../load/commands.ts';
import { row, skipped } from '../report/types.ts';
import type { Scenario } from './types.ts';

/**
 * Issue 6's figure: a device command whose device sits on another instance (REST to A, device on B,
 * both on one Redis) against the same command with REST and device on one instance (same Redis
 * store and adapter), so the difference is the cross-instance hop. Target: p50 within 1 ms.
 */
export const multiInstance: Scenario = {
  name: 'multi',
  title: 'Device command round trip across instances on Redis (REST on A → device on B → 200)',
  async run({ quick, features }) {
    if (!features.devices) return skipped('the devices feature is not on this branch yet');
    const binary = redisBinary();
    if (!binary) return skipped('redis-server is not installed');
    const redis = await startBenchRedis(binary);
    const servers: RunningServer[] = [];
    try {
      const a = await startServer('relay', { store: 'redis', redisUrl: redis.url });
      servers.push(a);
      const b = await startServer('relay', { store: 'redis', redisUrl: redis.url });
      servers.push(b);
      const rounds = quick ? 2 : 4;
      const window = { warmupMs: 500, durationMs: (quick ? 2000 : 8000) / rounds };
      const same: SequentialSample[] = [];
      const cross: SequentialSample[] = [];
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ['same', 'cross'] : ['cross', 'same'];
        for (const kind of order) {
          const params: CommandParams = { target: a.target, ...window, ...(kind === 'cross' ? { deviceTarget: b.target } : {}) };
          (kind === 'cross' ? cross : same).push(await runLoadWithCpu<SequentialSample>(a, 'commands', params));
        }
      }
      const c = pool(cross);
      const s = pool(same);
      return {
        status: 'ok',
        rows: [
          // "Within 1 ms" as a ratio of this run's same-instance p50, rounded down for the table.
          row('p50 (device on B vs on A)', 'ms', c.p50, s.p50, { op: '<=', ratio: Math.floor(((s.p50 + 1) / s.p50) * 100) / 100 }),
          row('p99 (device on B vs on A)', 'ms', c.p99, s.p99),
          row('commands/s', '/s', c.throughput, s.throughput),
        ],
        notes: [
          `Both columns are the relay on a spawned redis-server (store + Socket.IO adapter); the "baseline" column is the same-instance command, so the ratio is the cost of the cross-instance hop.`,
          `p50 difference: ${(c.p50 - s.p50).toFixed(2)} ms (target: within 1 ms). ${c.count} / ${s.count} commands in ${rounds} interleaved rounds.`,
        ],
      };
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await redis.stop();
    }
  },
};
