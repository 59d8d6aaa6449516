import { startServer, type RunningServer, type ServerKind } from './servers.ts';

/** Runs `fn` against a fresh server process and stops it afterwards, also when `fn` throws. */
export async function withServer<T>(kind: ServerKind, options: { store?: 'memory' | 'sqlite' }, fn: (server: RunningServer) => Promise<T>): Promise<T> {
  const server = await startServer(kind, options);
  try {
    return await fn(server);
  } finally {
    await server.stop();
  }
}
