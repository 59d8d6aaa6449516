import { io, type Socket } from 'socket.io-client';

/** Loopback source addresses to spread connections over, so 10,000 sockets never run out of ephemeral ports. */
export const LOOPBACK_SOURCES = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'];

export interface SocketSpec {
  /** Full URL including the namespace, e.g. http://127.0.0.1:3000/kiosk */
  url: string;
  auth: Record<string, unknown>;
  localAddress?: string;
}

/** One websocket per Socket.IO client (forceNew), no reconnection: a drop is a failure, not a retry. */
export function connectSocket(spec: SocketSpec, timeoutMs = 10_000): Promise<Socket> {
  const socket = io(spec.url, {
    auth: spec.auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
    ...(spec.localAddress ? { localAddress: spec.localAddress } : {}),
  } as Parameters<typeof io>[1]);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err: Error) => {
      socket.close();
      reject(new Error(`${spec.url}: ${err.message}`));
    });
  });
}

export interface ConnectManyResult {
  sockets: Socket[];
  failures: string[];
  elapsedMs: number;
}

/**
 * Connects specs with at most `concurrency` handshakes in flight and an overall deadline.
 * Stops after `maxFailures` so a broken server fails fast instead of timing out 10,000 times.
 */
export async function connectMany(
  specs: readonly SocketSpec[],
  options: { concurrency: number; deadlineMs: number; maxFailures?: number },
): Promise<ConnectManyResult> {
  const started = performance.now();
  const deadline = Date.now() + options.deadlineMs;
  const maxFailures = options.maxFailures ?? 20;
  const sockets: Socket[] = [];
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < specs.length && Date.now() < deadline && failures.length < maxFailures) {
      const spec = specs[next++] as SocketSpec;
      try {
        sockets.push(await connectSocket(spec, Math.max(1000, deadline - Date.now())));
      } catch (err) {
        failures.push(err instanceof Error ? err.message : String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, specs.length) }, worker));
  return { sockets, failures, elapsedMs: performance.now() - started };
}

export function closeAll(sockets: readonly Socket[]): void {
  for (const socket of sockets) socket.close();
}

/** The next `event` on `socket`, or a rejection after `timeoutMs`. */
export function nextEvent<T>(socket: Socket, event: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, onEvent);
      reject(new Error(`no "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onEvent = (payload: T) => {
      clearTimeout(timer);
      resolve(payload);
    };
    socket.once(event, onEvent);
  });
}
