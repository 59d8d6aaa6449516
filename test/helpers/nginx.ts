import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.ts';
import { findExecutable } from './requires.ts';
import { tempDir } from './relay.ts';

export const nginxBinary = (): string | null => findExecutable('nginx', ['/usr/sbin/nginx']);

export const deployConfigPath = new URL('../../deploy/nginx.conf', import.meta.url);

/**
 * The shipped deploy/nginx.conf with only what a test must change: its listen port, the upstream
 * servers, and every file nginx writes (pid, logs, temp dirs) moved into `dir`. Each substitution
 * must match, so a reshaped config fails here loudly instead of testing something else.
 */
export function renderNginxConfig(template: string, options: { port: number; upstreams: number[]; dir: string }): string {
  const { port, upstreams, dir } = options;
  const servers = upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`).join('\n');
  const replacements: [RegExp, string][] = [
    [/^worker_processes .*;$/m, 'worker_processes 1;'],
    [/^pid .*;$/m, `pid ${join(dir, 'nginx.pid')};`],
    [/^error_log .*;$/m, `error_log ${join(dir, 'error.log')} info;`],
    [/^ {2}access_log .*;$/m, `  access_log ${join(dir, 'access.log')};\n${temp}`],
    [/(upstream home_relay \{[^}]*?)(?:^ {4}server .*\n)+/m, `$1${servers}\n`],
    [/^ {4}listen 80;$/m, `    listen 127.0.0.1:${port};`],
  ];
  let config = template;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(config)) throw new Error(`deploy/nginx.conf no longer has ${pattern}; update the test renderer`);
    config = config.replace(pattern, replacement);
  }
  return config;
}

export interface RunningNginx {
  readonly url: string;
  readonly dir: string;
  kill(): Promise<void>;
}

/** A real nginx in the foreground with the rendered deploy config, on a free port. */
export async function startNginx(binary: string, upstreams: number[]): Promise<RunningNginx> {
  const dir = tempDir('relay-nginx-');
  // Workers may run as an unprivileged user (when started as root); they must reach the temp dirs.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, renderNginxConfig(readFileSync(deployConfigPath, 'utf8'), { port, upstreams, dir }));
  const child: ChildProcess = spawn(binary, ['-c', file, '-p', dir, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForPort(port, 10_000, () =>
      child.exitCode !== null ? `nginx exited (${child.exitCode}): ${output}\n${safeRead(join(dir, 'error.log'))}` : null,
    );
  } catch (err) {
    await kill();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, dir, kill };
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
