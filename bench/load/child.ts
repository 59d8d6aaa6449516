/**
 * Entry point of every load-generator process: receives `{ load: 'run', client, params }`,
 * runs that client, reports `done` or `error`, and exits. Sockets and timers die with it.
 */
import { clients } from './clients.ts';
import type { FromLoad, LoadContext, ToLoad } from './protocol.ts';

const send = (message: FromLoad) => process.send?.(message);
const commands = new Set<string>();
const waiters = new Map<string, () => void>();

const ctx: LoadContext = {
  phase: (name, data = null) => send({ load: 'phase', name, data }),
  waitFor(command, timeoutMs = 120_000) {
    if (commands.delete(command)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${command}" from the orchestrator within ${timeoutMs} ms`)), timeoutMs);
      waiters.set(command, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  },
};

process.on('message', (message: ToLoad) => {
  if (message.load === 'cmd') {
    const waiter = waiters.get(message.name);
    waiters.delete(message.name);
    if (waiter) waiter();
    else commands.add(message.name);
    return;
  }
  const client = clients[message.client];
  if (!client) {
    send({ load: 'error', error: `unknown load client "${message.client}"` });
    process.exit(1);
  }
  client(message.params, ctx).then(
    (result) => {
      send({ load: 'done', result });
      // Give the IPC message time to flush before open sockets are torn down by exit.
      setTimeout(() => process.exit(0), 50);
    },
    (err: unknown) => {
      send({ load: 'error', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      setTimeout(() => process.exit(1), 50);
    },
  );
});

// An orphaned load generator would keep hammering a port: leave with the orchestrator.
process.on('disconnect', () => process.exit(0));
