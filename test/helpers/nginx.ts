import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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
export function renderNginxConfig(template: string, options: { port: number; tlsPort: number; upstreams: number[]; dir: string }): string {
  const { port, tlsPort, upstreams, dir } = options;
  const servers = upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join('\n');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(dir, `${t}_temp`)};`).join('\n');
  const replacements: [RegExp, string][] = [
    [/^worker_processes .*;$/m, 'worker_processes 1;'],
    [/^pid .*;$/m, `pid ${join(dir, 'nginx.pid')};`],
    [/^error_log .*;$/m, `error_log ${join(dir, 'error.log')} info;`],
    [/^ {2}access_log .*;$/m, `  access_log ${join(dir, 'access.log')};\n${temp}`],
    [/(upstream home_relay \{[^}]*?)(?:^ {4}server .*\n)+/m, `$1${servers}\n`],
    [/^ {4}listen 80;$/m, `    listen 127.0.0.1:${port};`],
    [/^ {4}listen 443 ssl http2;$/m, `    listen 127.0.0.1:${tlsPort} ssl http2;`],
    [/^ {4}ssl_certificate .*;$/m, `    ssl_certificate ${join(dir, 'cert.pem')};`],
    [/^ {4}ssl_certificate_key .*;$/m, `    ssl_certificate_key ${join(dir, 'key.pem')};`],
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
  /** https://localhost:<port>, served with `ca`, a self-signed certificate for localhost and 127.0.0.1. */
  readonly tlsUrl: string;
  readonly ca: string;
  readonly dir: string;
  kill(): Promise<void>;
}

/** A real nginx in the foreground with the rendered deploy config, on a free port. */
export async function startNginx(binary: string, upstreams: number[]): Promise<RunningNginx> {
  const dir = tempDir('relay-nginx-');
  // Workers may run as an unprivileged user (when started as root); they must reach the temp dirs.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const tlsPort = await freePort();
  const ca = selfSignedCertificate(dir);
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, renderNginxConfig(readFileSync(deployConfigPath, 'utf8'), { port, tlsPort, upstreams, dir }));
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
  return { url: `http://127.0.0.1:${port}`, tlsUrl: `https://localhost:${tlsPort}`, ca, dir, kill };
}

/** A throwaway P-256 certificate for localhost in `dir` (cert.pem, key.pem); returns the certificate. */
function selfSignedCertificate(dir: string): string {
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl could not make a test certificate: ${made.error?.message ?? made.stderr}`);
  return readFileSync(join(dir, 'cert.pem'), 'utf8');
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
