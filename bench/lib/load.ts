import { fileURLToPath } from 'node:url';
import { forkTs, stopChild, type Child } from './children.ts';
import type { FromLoad, ToLoad } from '../load/protocol.ts';
import type { RunningServer } from './servers.ts';

const entry = fileURLToPath(new URL('../load/child.ts', import.meta.url));

export interface LoadRun<R> {
  /** Resolves with the data of the named phase once the child reports it. */
  phase<T = unknown>(name: string, timeoutMs?: number): Promise<T>;
  command(name: string): void;
  readonly result: Promise<R>;
  stop(): Promise<void>;
}

/** Runs one load client in its own process, so the generator never shares a CPU queue with the server. */
export function startLoad<R>(client: string, params: unknown, options: { raiseFdLimit?: boolean; label?: string } = {}): LoadRun<R> {
  const child: Child = forkTs(options.label ?? `load:${client}`, entry, { raiseFdLimit: options.raiseFdLimit ?? false });
  const phases = new Map<string, unknown>();
  const phaseWaiters = new Map<string, (data: unknown) => void>();
  let settled = false;
  const result = new Promise<R>((resolve, reject) => {
    child.process.on('message', (message: FromLoad) => {
      if (message.load === 'phase') {
        phases.set(message.name, message.data);
        phaseWaiters.get(message.name)?.(message.data);
      } else if (message.load === 'done') {
        settled = true;
        resolve(message.result as R);
      } else {
        settled = true;
        reject(new Error(`load:${client} failed: ${message.error}`));
      }
    });
    void child.exited.then((how) => {
      if (!settled) reject(new Error(`load:${client} exited (${how}) without a result:\n${child.tail()}`));
    });
  });
  // Callers may only await a phase; the result's rejection must still be observed once.
  result.catch(() => undefined);
  child.process.send({ load: 'run', client, params } satisfies ToLoad);
  return {
    phase<T>(name: string, timeoutMs = 180_000) {
      if (phases.has(name)) return Promise.resolve(phases.get(name) as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`load:${client}: no "${name}" phase within ${timeoutMs} ms`)), timeoutMs);
        phaseWaiters.set(name, (data) => {
          clearTimeout(timer);
          resolve(data as T);
        });
        result.then(
          () => undefined,
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
      });
    },
    command(name) {
      if (child.process.connected) child.process.send({ load: 'cmd', name } satisfies ToLoad);
    },
    result,
    stop: () => stopChild(child),
  };
}

/**
 * A one-shot client that also measures the server's CPU time (ms) from the client's "measuring"
 * phase (after its warm-up) to its result.
 */
export async function runLoadWithCpu<R>(server: RunningServer, client: string, params: unknown): Promise<R & { cpuMs: number }> {
  const run = startLoad<R>(client, params);
  try {
    await run.phase('measuring');
    const before = server.cpuMs();
    const result = await run.result;
    return { ...result, cpuMs: server.cpuMs() - before };
  } finally {
    await run.stop();
  }
}

/** A one-shot client: run it, wait for its result, make sure the process is gone. */
export async function runLoad<R>(client: string, params: unknown): Promise<R> {
  const run = startLoad<R>(client, params);
  try {
    return await run.result;
  } finally {
    await run.stop();
  }
}
