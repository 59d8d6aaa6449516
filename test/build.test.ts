import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/relay.ts';

const root = new URL('..', import.meta.url).pathname;
/** What a deployment carries: the manifest and lockfile, the compiled code, the pages and the command. */
const shipped = ['package.json', 'package-lock.json', 'dist', 'public', 'bin', 'scripts'];
const nativeAddon = 'node_modules/better-sqlite3/build/Release/better_sqlite3.node';

const run = (command: string, args: string[], cwd: string, env: Record<string, string> = {}) =>
  spawnSync(command, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env } });

/**
 * The production install: a copy of what ships (dist/ built by the global setup), `npm ci --omit=dev`,
 * then `npm start` and the compiled `bin/relay`. Proves tsx, TypeScript and every other dev dependency
 * are unneeded at run time.
 */
describe('a production install (npm ci --omit=dev) of the compiled build', () => {
  const dir = tempDir('relay-prod-');
  let server: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    for (const entry of shipped) cpSync(join(root, entry), join(dir, entry), { recursive: true });
    // --ignore-scripts skips compiling better-sqlite3 from source (a minute on CI); the addon this
    // checkout built is the same version for the same Node. prepare runs on its own below.
    const installed = run('npm', ['ci', '--omit=dev', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
    expect(installed.status, installed.stderr).toBe(0);
    mkdirSync(dirname(join(dir, nativeAddon)), { recursive: true });
    copyFileSync(join(root, nativeAddon), join(dir, nativeAddon));
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server?.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  });

  it('installs no dev dependency, and prepare keeps the shipped dist/', () => {
    for (const devOnly of ['tsx', 'typescript', 'vitest', 'esbuild']) expect(existsSync(join(dir, 'node_modules', devOnly)), devOnly).toBe(false);
    const prepared = run('npm', ['run', 'prepare'], dir);
    expect(prepared.status, prepared.stderr).toBe(0);
    expect(prepared.stdout).toContain('using the dist/ already built');
  });

  it('starts with npm start and answers /healthz, pages and the Socket.IO client', async () => {
    // Configuration from the .env beside package.json, with a relative DATA_DIR (taken from the package root).
    writeFileSync(join(dir, '.env'), 'DATA_DIR=state\nHOME_SERIAL=flat-dotenv\n');
    server = spawn('npm', ['start', '--silent'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const started = Date.now();
    let url = '';
    while (!url) {
      url = /dashboard:\s+(http:\/\/localhost:\d+)\//.exec(output)?.[1] ?? '';
      if (server.exitCode !== null) throw new Error(`npm start exited ${server.exitCode}: ${output}`);
      if (Date.now() - started > 20_000) throw new Error(`npm start did not listen: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // dist/app.js finds public/ beside dist/, as src/app.ts does beside src/.
    expect((await fetch(`${url}/kiosk`)).status).toBe(200);
    expect((await fetch(`${url}/socket.io/socket.io.js`)).status).toBe(200);
  });

  it('runs the compiled CLI beside it from any directory, on the same .env and store, and says what to do when dist/ is missing', () => {
    expect(output).toContain(`data:       ${join(dir, 'state', 'relay.sqlite')}`);
    const listed = run(process.execPath, [join(dir, 'bin/relay'), 'homes', 'list'], tempDir('relay-cwd-'));
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('flat-dotenv');

    renameSync(join(dir, 'dist'), join(dir, 'dist.moved'));
    const unbuilt = run(process.execPath, ['bin/relay', 'homes', 'list'], dir);
    expect(unbuilt.status).toBe(1);
    expect(unbuilt.stderr).toContain('home-relay is not built');
    expect(unbuilt.stderr).toContain('npm run build');
  });
});
