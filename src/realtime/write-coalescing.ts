import type { Server } from 'socket.io';
import type { EngineConnection } from './engine-connection.ts';

/** The engine.io connection under a Socket.IO socket, as far as flushing goes (untyped internals). */
interface FlushingConnection {
  flush(): void;
  writeBuffer?: unknown[];
  transport?: { socket?: { _socket?: { cork(): void; uncork(): void } } };
}

/**
 * Looks at a connection just before its queued packets go out. `queuedBefore` is how many packets
 * it already had queued when this tick's first one arrived. Returning false drops the flush (the
 * guard has closed the connection).
 */
export type FlushGuard = (conn: EngineConnection, queuedBefore: number) => boolean;

/**
 * One TCP write per connection per tick instead of one per packet.
 *
 * engine.io hands each packet to the transport the moment it is emitted: two events to one socket
 * in the same tick (a claim tells the kiosk `grant:created` and `pairing:claimed`; a resume replays
 * a burst) become two WebSocket frames in two `writev` calls, and on loopback every write costs the
 * sender the receiver's TCP work too (measured: 6 writes per pairing round trip, 4.4 with this).
 * Here a connection's flush waits for the end of the current tick (`process.nextTick` runs after
 * every promise continuation of this turn), then sends everything queued with the raw socket
 * corked, so the frames leave in one write. Order is engine.io's own queue, unchanged; a
 * connection closing politely still waits for that queue to drain (engine.io's `close`).
 *
 * Applied per connection (an own `flush` that points at one shared function), so other engine.io
 * servers in the process are untouched.
 */
export function coalesceWrites(io: Server, guard?: FlushGuard): void {
  // Each connection with a flush due this tick, and how many packets it had queued before this tick.
  const pending = new Map<FlushingConnection, number>();
  let scheduled = false;
  let flushNow: ((this: FlushingConnection) => void) | undefined;

  const flushPending = () => {
    scheduled = false;
    const conns = [...pending];
    pending.clear();
    for (const [conn, queuedBefore] of conns) {
      if (guard && !guard(conn as unknown as EngineConnection, queuedBefore)) continue;
      const raw = conn.transport?.socket?._socket;
      raw?.cork();
      try {
        flushNow?.call(conn);
      } finally {
        raw?.uncork();
      }
    }
  };
  function deferredFlush(this: FlushingConnection): void {
    // engine.io queues a packet and then flushes, so the first flush of a tick sees that one packet queued.
    if (!pending.has(this)) pending.set(this, Math.max(0, (this.writeBuffer?.length ?? 1) - 1));
    if (scheduled) return;
    scheduled = true;
    process.nextTick(flushPending);
  }

  io.engine.on('connection', (conn: FlushingConnection) => {
    flushNow ??= Object.getPrototypeOf(conn).flush as (this: FlushingConnection) => void;
    conn.flush = deferredFlush;
  });
}
