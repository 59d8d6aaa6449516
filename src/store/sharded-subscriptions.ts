import type { Logger } from '../logger.ts';
import type { ClusterSlots } from './cluster-topology.ts';
import { keySlot } from './redis-slot.ts';

type Listener = (...args: never[]) => unknown;
type Subscribe = (channels: string | string[], listener: Listener, bufferMode?: boolean) => Promise<unknown>;
type Unsubscribe = (channels?: string | string[], listener?: Listener, bufferMode?: boolean) => Promise<unknown>;

interface Wanted {
  listener: Listener;
  bufferMode: boolean;
  /** When our last resubscribe attempt started (0: none running). */
  attemptAt: number;
}

/** A resubscribe attempt that has not settled after this long is waiting on a dead node: try again. */
const ATTEMPT_STALE_MS = 5000;
/** How often every wanted channel is checked against the slot map, besides after each reload. */
const CHECK_EVERY_MS = 2000;

/**
 * Sharded subscriptions of a cluster subscriber that survive a failover, whatever node-redis
 * does with them. node-redis moves a dead shard's listeners to the new owner when a slot-map
 * reload drops the node, but it does not catch the resubscribe: one that fails (its target
 * connection was given up, the slot map was stale) is gone for good, and the room or response
 * channel it carried goes quiet — for the Socket.IO adapter that is every command to a device on
 * another instance timing out. So this remembers what was asked for (SSUBSCRIBE / SUNSUBSCRIBE
 * through the client) and, after every reload and every CHECK_EVERY_MS, subscribes again any
 * channel whose listener is not on the pub/sub connection of the master that owns its slot now.
 * The check is a few map look-ups per channel; a listener already there is never added twice
 * (node-redis keeps a set per channel).
 */
export function keepShardedSubscriptions(cluster: object, slots: ClusterSlots, logger: Logger | undefined, name: string): { check(): void; stop(): void } {
  const target = cluster as { sSubscribe: Subscribe; SSUBSCRIBE: Subscribe; sUnsubscribe: Unsubscribe; SUNSUBSCRIBE: Unsubscribe };
  const subscribe = target.sSubscribe.bind(cluster);
  const unsubscribe = target.sUnsubscribe.bind(cluster);
  const wanted = new Map<string, Wanted[]>();

  const remember = (channel: string, listener: Listener, bufferMode: boolean): Wanted => {
    const list = wanted.get(channel) ?? [];
    const found = list.find((x) => x.listener === listener && x.bufferMode === bufferMode);
    if (found) return found;
    const w: Wanted = { listener, bufferMode, attemptAt: 0 };
    wanted.set(channel, [...list, w]);
    return w;
  };
  /** One subscribe in flight per listener: the checker leaves it alone until it settles or goes stale. */
  const attempt = (channels: string | string[], entries: Wanted[], listener: Listener, bufferMode: boolean) => {
    const attemptAt = Date.now();
    for (const w of entries) w.attemptAt = attemptAt;
    return subscribe(channels, listener, bufferMode).finally(() => {
      for (const w of entries) if (w.attemptAt === attemptAt) w.attemptAt = 0;
    });
  };
  const forget = (channel: string, listener: Listener | undefined, bufferMode: boolean | undefined) => {
    if (!listener) return wanted.delete(channel);
    const list = (wanted.get(channel) ?? []).filter((w) => w.listener !== listener || (bufferMode !== undefined && w.bufferMode !== bufferMode));
    return list.length ? wanted.set(channel, list) : wanted.delete(channel);
  };
  const channelsOf = (channels: string | string[] | undefined) => (channels === undefined ? [...wanted.keys()] : Array.isArray(channels) ? channels : [channels]);

  const sSubscribe: Subscribe = (channels, listener, bufferMode = false) => {
    const entries = channelsOf(channels).map((channel) => remember(channel, listener, bufferMode));
    return attempt(channels, entries, listener, bufferMode);
  };
  const sUnsubscribe: Unsubscribe = (channels, listener, bufferMode) => {
    for (const channel of channelsOf(channels)) forget(channel, listener, bufferMode);
    return unsubscribe(channels, listener, bufferMode);
  };
  // Both spellings, on the instance: node-redis's own resubscribe goes through `this.sSubscribe` too.
  Object.assign(cluster, { sSubscribe, SSUBSCRIBE: sSubscribe, sUnsubscribe, SUNSUBSCRIBE: sUnsubscribe });

  const subscribed = (channel: string, w: Wanted): boolean => {
    const client = slots.slots[keySlot(channel)]?.master.pubSub?.client;
    const listeners = client?.getPubSubListeners('SHARDED').get(channel);
    return (w.bufferMode ? listeners?.buffers : listeners?.strings)?.has(w.listener) ?? false;
  };
  const check = () => {
    // Only while the slot map is loaded: a closed or still-connecting client has nothing to check.
    if (!(cluster as { isReady?: boolean }).isReady) return;
    const now = Date.now();
    let again = 0;
    for (const [channel, list] of wanted) {
      for (const w of list) {
        if (subscribed(channel, w) || (w.attemptAt !== 0 && now - w.attemptAt < ATTEMPT_STALE_MS)) continue;
        again++;
        attempt(channel, [w], w.listener, w.bufferMode).catch((err: unknown) =>
          logger?.debug({ err, connection: name, channel }, 'sharded resubscribe failed; retrying at the next check'),
        );
      }
    }
    if (again > 0) logger?.info({ connection: name, channels: again }, 'sharded subscriptions missing on their shard: subscribing again');
  };
  const timer = setInterval(check, CHECK_EVERY_MS);
  timer.unref();
  return { check, stop: () => clearInterval(timer) };
}
