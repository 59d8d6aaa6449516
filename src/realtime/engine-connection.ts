import type { Server } from 'socket.io';

/**
 * The engine.io connection under a Socket.IO socket, as far as the relay reaches into it
 * (untyped internals): its send queue, its transport and, for a WebSocket, the `ws` socket.
 */
export interface EngineConnection {
  writeBuffer?: { data?: unknown }[];
  transport?: { name?: string; socket?: { bufferedAmount?: number; terminate?: () => void } };
  close(discard?: boolean): void;
}

/** Every engine.io connection carrying at least one socket of `namespaces` (several sockets may share one). */
export function connectionsOf(io: Server, namespaces: readonly string[]): Set<EngineConnection> {
  const conns = new Set<EngineConnection>();
  for (const name of namespaces) for (const socket of io.of(name).sockets.values()) conns.add(socket.conn as unknown as EngineConnection);
  return conns;
}
