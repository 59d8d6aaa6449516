import { type RelayMode, startServer, type RunningServer, type ServerKind } from './servers.ts';

export interface Contender {
  label: string;
  kind: ServerKind;
  store?: 'memory' | 'sqlite';
  /** Extra environment for this contender's server (e.g. MQTT_URL). */
  env?: Record<string, string>;
  /** The relay as `npm start` runs it with nothing set (see startServer). */
  mode?: RelayMode;
}

/**
 * Runs every contender's load in short alternating rounds (A B C, then C B A, …) with all servers
 * up at once; an idle server costs nothing. Other work on a shared machine comes and goes, and
 * interleaving makes every contender meet the same mix of it, which back-to-back runs do not.
 */
export async function interleave<R>(
  contenders: readonly Contender[],
  rounds: number,
  runOne: (server: RunningServer, contender: Contender) => Promise<R>,
): Promise<Map<string, R[]>> {
  const servers: RunningServer[] = [];
  try {
    for (const c of contenders) {
      servers.push(await startServer(c.kind, { ...(c.store ? { store: c.store } : {}), ...(c.mode ? { mode: c.mode } : {}), ...(c.env ? { env: c.env } : {}) }));
    }
    const results = new Map<string, R[]>(contenders.map((c) => [c.label, []]));
    for (let round = 0; round < rounds; round++) {
      const order = contenders.map((c, i) => ({ c, server: servers[i] as RunningServer }));
      if (round % 2 === 1) order.reverse();
      for (const { c, server } of order) results.get(c.label)?.push(await runOne(server, c));
    }
    return results;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
