import type { Logger } from '../logger.ts';

/** The parts of node-redis's cluster slot map (RedisClusterSlots, `cluster._slots`) used here. */
interface SlotNode {
  address: string;
  client?: { isReady: boolean; destroy(): void } | undefined;
  connectPromise?: Promise<unknown> | undefined;
}
export interface ClusterSlots {
  slots: ({ master: SlotNode & { pubSub?: { client: PubSubNodeClient } | undefined } } | undefined)[];
  nodeByAddress: Map<string, SlotNode>;
  rediscover(startWith?: unknown, excludedAddresses?: Set<string>): Promise<void>;
}
export interface PubSubNodeClient {
  getPubSubListeners(type: 'SHARDED'): Map<string, { buffers: Set<unknown>; strings: Set<unknown> }>;
}

export const clusterSlotsOf = (cluster: unknown): ClusterSlots | undefined => (cluster as { _slots?: ClusterSlots })._slots;

/** A slot-map reload still running after this long is stuck on a node that will not answer. */
const STUCK_RELOAD_MS = 3000;

/**
 * Keeps node-redis's slot-map reload from stalling for good after a failover, and tells
 * `onSettled` listeners each time a reload ends (the slot map may have changed).
 *
 * Why: a reload connects to every node of the answer it got before it resolves, and a node
 * client connects with our reconnect strategy, i.e. forever. If a node that has not yet heard of
 * the promotion answers CLUSTER SLOTS after one that has, the dead master is listed again as a
 * new node, its connect never resolves, and the reload never ends. node-redis runs one reload at
 * a time and hands that same promise to every later trigger (MOVED, node errors, ours), so the
 * slot map froze with the dead master in it: its slots answered 503 and sharded subscriptions
 * resubscribed during that reload waited on a connection that never came.
 *
 * A reload still running after STUCK_RELOAD_MS gets its never-connected node clients destroyed:
 * that is what node-redis does itself when a connect gives up (the node is left without a
 * client, the next use makes a fresh one), so the reload fails over to the next node and ends.
 */
export function guardReloads(cluster: unknown, logger: Logger | undefined, name: string): { onSettled(listener: () => void): void } {
  const listeners: (() => void)[] = [];
  const slots = clusterSlotsOf(cluster);
  if (!slots) return { onSettled: () => {} };
  const original = slots.rediscover.bind(slots);
  let running: Promise<void> | undefined;
  slots.rediscover = (...args) => {
    const run = original(...args);
    if (run === running) return run;
    running = run;
    const watchdog = setTimeout(() => unstick(slots, logger, name), STUCK_RELOAD_MS);
    watchdog.unref();
    void run
      .catch(() => {
        // Every node unreachable right now: node-redis reports it; the next trigger tries again.
      })
      .finally(() => {
        clearTimeout(watchdog);
        if (running === run) running = undefined;
        for (const listener of listeners) listener();
      });
    return run;
  };
  return { onSettled: (listener) => listeners.push(listener) };
}

function unstick(slots: ClusterSlots, logger: Logger | undefined, name: string): void {
  for (const node of slots.nodeByAddress.values()) {
    if (node.connectPromise === undefined || node.client?.isReady !== false) continue;
    logger?.warn({ connection: name, node: node.address }, 'redis cluster slot reload stuck connecting to a node: giving that node up');
    node.client.destroy();
  }
}

/** Slot-map reloads asked for by node errors are throttled to one per this interval per client. */
const SLOT_RELOAD_INTERVAL_MS = 500;
const lastSlotReload = new WeakMap<object, number>();

/**
 * A node that errors may be a master that died: reload the slot map from the nodes still up, so
 * once a replica has been promoted (cluster-node-timeout plus an election) commands for its slots
 * go there. node-redis reloads by itself only on MOVED (which a dead node never sends) or after a
 * node has been reconnecting for a while, and measured here that could leave its slots at 503
 * for the rest of a run. Throttled; a reload that finds nothing new costs one CLUSTER SLOTS.
 */
export function reloadSlotsSoon(cluster: object): void {
  const now = Date.now();
  if (now - (lastSlotReload.get(cluster) ?? 0) < SLOT_RELOAD_INTERVAL_MS) return;
  lastSlotReload.set(cluster, now);
  clusterSlotsOf(cluster)
    ?.rediscover(undefined)
    .catch(() => {
      // Every node unreachable right now: the next node error tries again.
    });
}
