import { detectFeatures } from '../lib/features.ts';
import { runLoad } from '../lib/load.ts';
import { withServer } from '../lib/with-server.ts';
import type { ThroughputParams, ThroughputResult } from '../load/throughput.ts';
import { row } from '../report/types.ts';
import type { Scenario } from './types.ts';

const CONNECTIONS = 50;

/** Scenario 3: authenticated reads with autocannon, 50 connections. */
export const readThroughput: Scenario = {
  name: 'read',
  title: `Authenticated GET throughput (autocannon, ${CONNECTIONS} connections)`,
  async run({ quick }) {
    const timing = { connections: CONNECTIONS, warmupSeconds: quick ? 1 : 2, durationSeconds: quick ? 4 : 10 };
    let feature: ThroughputParams['feature'] = 'me';
    const relay = await withServer('relay', {}, async (server) => {
      // GET /api/v1/devices once the devices feature has landed; /api/v1/me until then.
      feature = (await detectFeatures(server.target.url)).devices ? 'devices' : 'me';
      return runLoad<ThroughputResult>('throughput', { target: server.target, feature, ...timing } satisfies ThroughputParams);
    });
    const base = await withServer('baseline', {}, (server) => runLoad<ThroughputResult>('throughput', { target: server.target, feature, ...timing } satisfies ThroughputParams));
    const bad = [relay, base].filter((r) => r.non2xx > 0 || r.errors > 0);
    return {
      status: bad.length > 0 ? 'failed' : 'ok',
      ...(bad.length > 0 ? { reason: `non-2xx or errors: ${bad.map((r) => `${r.path} ${r.non2xx} non-2xx, ${r.errors} errors`).join('; ')}` } : {}),
      rows: [
        row('requests/s', 'req/s', relay.requestsPerSecond, base.requestsPerSecond, { op: '>=', ratio: 2 }),
        row('p50 latency', 'ms', relay.p50, base.p50),
        row('p99 latency', 'ms', relay.p99, base.p99),
      ],
      notes: [`relay ${relay.path} vs baseline ${base.path}.`],
    };
  },
};
