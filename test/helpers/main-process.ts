import { type ChildProcess, spawn } from 'node:child_process';
import { tempDir } from './relay.ts';

const root = new URL('../..', import.meta.url).pathname;

export interface MainProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  url: string;
  store: string;
  exited: Promise<number | null>;
  output(): string;
}

/**
 * The real entry point (`npm start`, i.e. dist/main.js, kept fresh by test/global-setup.ts) as an
 * operator runs it, in a child process: the only way to see what happens when an instance dies
 * without a goodbye (SIGKILL). Resolves once it listens.
 */
export async function startMain(env: Record<string, string>): Promise<MainProcess> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', DEMO_DEVICES: 'false', PORT: '0', DATA_DIR: tempDir(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const started = Date.now();
  for (;;) {
    const match = /home-relay on http:\/\/localhost:(\d+)\s+\(store: (\w+)\)/.exec(output);
    if (match) return { child, url: `http://127.0.0.1:${match[1]}`, store: match[2] ?? '', exited, output: () => output };
    if (child.exitCode !== null) throw new Error(`relay exited ${child.exitCode}: ${output}`);
    if (Date.now() - started > 20_000) {
      child.kill('SIGKILL');
      throw new Error(`relay did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Kills what is still running and waits for it (afterAll). */
export async function stopAll(processes: MainProcess[]): Promise<void> {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}
