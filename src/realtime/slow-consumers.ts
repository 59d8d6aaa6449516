import type { Server, Socket } from 'socket.io';
import type { Logger } from '../logger.ts';
import type { EngineConnection } from './engine-connection.ts';

/** How often held bytes are looked at: a stalled socket is cut within two sweeps of passing its limit. */
const SWEEP_EVERY_MS = 250;


const sizeOf = (data: unknown): number =>
  typeof data === 'string' ? data.length : data instanceof Uint8Array || data instanceof ArrayBuffer ? data.byteLength : 0;

/**
 * Bytes the relay holds for a connection and has not handed to the kernel: engine.io's queue
 * (packets waiting while the transport is busy, or for the next poll) plus what the WebSocket
 * has queued. Counting stops once past `limit`.
 */
export function heldBytes(conn: EngineConnection, limit = Number.POSITIVE_INFINITY): number {
  let held = conn.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of conn.writeBuffer ?? []) {
    held += sizeOf(packet.data);
    if (held > limit) break;
  }
  return held;
}

export interface SlowConsumerDeps {
  maxBufferBytes: number;
  /** Sweep period (default 250 ms). */
  everyMs?: number;
  logger: Logger;
  /** Called once per connection cut, with the namespace of the socket that tripped it. */
  onDisconnect: (namespace: string) => void;
}

/**
 * A client that stops reading its socket must not make the relay hold ever more for it. Checked
 * where the bytes are added: before a connection's packets of a tick go out (`flushGuard`, given
 * to the write coalescer), one that would then hold more than SOCKET_MAX_BUFFER is cut instead.
 * The one exception is a connection that held nothing before this tick (its reader has kept up): a
 * single batch larger than the limit (a big `devices:list` ack) still goes out. If that batch then
 * sits unread, the sweep cuts it: at the second sweep past the limit unless it drained in between,
 * at once past four times the limit. A WebSocket is terminated outright — a polite close would
 * queue behind the very data the client is not reading.
 */
export function watchSlowConsumers(
  io: Server,
  namespaces: readonly string[],
  deps: SlowConsumerDeps,
): { sweep(): void; stop(): void; flushGuard(conn: EngineConnection, queuedBefore: number): boolean } {
  const limit = deps.maxBufferBytes;
  // What each connection held over the limit at the previous sweep.
  let over = new Map<EngineConnection, number>();
  const sweep = () => {
    const seen = new Set<EngineConnection>();
    const nowOver = new Map<EngineConnection, number>();
    for (const name of namespaces) {
      for (const socket of io.of(name).sockets.values()) {
        const conn = socket.conn as unknown as EngineConnection;
        if (seen.has(conn)) continue;
        seen.add(conn);
        const held = heldBytes(conn, 4 * limit);
        if (held <= limit) continue;
        const before = over.get(conn);
        if (held > 4 * limit || (before !== undefined && held >= before)) cut(socket, conn, name, held);
        else nowOver.set(conn, held);
      }
    }
    over = nowOver;
  };
  const cut = (socket: Socket, conn: EngineConnection, namespace: string, held: number) => {
    deps.logger.warn({ namespace, socketId: socket.id, heldBytes: held, limit: deps.maxBufferBytes }, 'slow consumer disconnected');
    deps.onDisconnect(namespace);
    const ws = conn.transport?.name === 'websocket' ? conn.transport.socket : undefined;
    conn.close(true);
    ws?.terminate?.();
  };
  /** A connection's first socket in the watched namespaces (for the log and the metric), found only when cutting. */
  const socketOf = (conn: EngineConnection): { socket: Socket; namespace: string } | undefined => {
    for (const namespace of namespaces) for (const socket of io.of(namespace).sockets.values()) if (socket.conn === (conn as unknown)) return { socket, namespace };
    return undefined;
  };
  const flushGuard = (conn: EngineConnection, queuedBefore: number): boolean => {
    const held = heldBytes(conn, limit);
    if (held <= limit) return true;
    if (queuedBefore === 0 && (conn.transport?.socket?.bufferedAmount ?? 0) === 0) return true;
    const found = socketOf(conn);
    // Only connections of the watched namespaces are this rule's business.
    if (!found) return true;
    cut(found.socket, conn, found.namespace, held);
    return false;
  };
  // Real time on purpose: socket buffers fill and drain in real time, whatever a test's clock says.
  const timer = setInterval(sweep, deps.everyMs ?? SWEEP_EVERY_MS);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer), flushGuard };
}
