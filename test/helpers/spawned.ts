import { type ChildProcess, spawn } from 'node:child_process';
import { waitForPort } from './net.ts';

/** A server process on a fixed port that a test can crash (SIGKILL) and start again on the same port. */
export interface SpawnedServer {
  start(): Promise<void>;
  /** SIGKILL, as a crash would; safe to call twice. */
  stop(): Promise<void>;
  /** Sends a signal to the running process (SIGHUP: reload configuration). */
  signal(name: NodeJS.Signals): void;
}

export function spawnedServer(binary: string, args: string[], port: number, label: string): SpawnedServer {
  let child: ChildProcess | undefined;
  return {
    async start() {
      const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      let output = '';
      proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitForPort(port, 10_000, () => (proc.exitCode !== null ? `${label} exited: ${output}` : null));
    },
    signal(name) {
      child?.kill(name);
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGKILL');
      await exited;
    },
  };
}
