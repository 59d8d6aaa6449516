import { spawn } from 'node:child_process';

const root = new URL('../..', import.meta.url).pathname;

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Date.now() when the process had exited (its store writes are committed by then). */
  exitedAt: number;
}

/**
 * The real `bin/relay` in a child process, as an operator runs it beside a running server.
 * Asynchronous on purpose: spawnSync would block this process, and with it an in-process server.
 */
export function relayCli(args: string[], env: Record<string, string>, cwd = root): Promise<CliResult> {
  const child = spawn(process.execPath, [`${root}bin/relay`, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr, exitedAt: Date.now() }));
  });
}

/** The last line of stdout: where the CLI prints a key it shows once. */
export const lastLine = (out: string): string => out.trim().split('\n').at(-1) ?? '';
