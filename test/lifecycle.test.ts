import { spawn, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { closeSockets, connectKiosk, getJson, pair, startRelay, tempDir, type TestRelay } from './helpers/relay.ts';

const root = new URL('..', import.meta.url).pathname;

describe('durability', () => {
  let relay: TestRelay | undefined;
  afterEach(async () => {
    closeSockets();
    await relay?.close();
  });

  it('keeps grants, refresh tokens and revocations across a restart on the same DATA_DIR', async () => {
    const dataDir = tempDir();
    const env = { STORE: 'sqlite', DATA_DIR: dataDir };
    relay = await startRelay({ env });
    const kiosk = await connectKiosk(relay);
    const kept = await pair(relay, { kiosk, clientName: 'kept' });
    const revoked = await pair(relay, { kiosk, clientName: 'revoked' });
    await fetch(`${relay.url}/api/v1/grants/${revoked.grantId}`, { method: 'DELETE', headers: { authorization: `Bearer ${kept.token}` } });
    closeSockets();
    await relay.close();

    relay = await startRelay({ env });
    expect((await getJson(`${relay.url}/api/v1/me`, kept.token)).status).toBe(200);
    const gone = await getJson(`${relay.url}/api/v1/me`, revoked.token);
    expect(gone.status).toBe(401);
    expect(gone.body.error.code).toBe('token_revoked');
    const refreshed = await fetch(`${relay.url}/api/v1/tokens/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: kept.refreshToken }),
    });
    expect(refreshed.status).toBe(200);
  });
});

describe('configuration', () => {
  it('names every bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc', ACCESS_TOKEN_TTL: 'soon', STORE: 'mongo', RATE_LIMITS: 'maybe' })).toThrow(
      /PORT[\s\S]*STORE[\s\S]*ACCESS_TOKEN_TTL[\s\S]*RATE_LIMITS/,
    );
  });

  it('reads CORS_ORIGINS as origins (a trailing "/" dropped) and stops on anything else, naming it', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://good.example/, http://127.0.0.1:8080' }).corsOrigins).toEqual(['https://good.example', 'http://127.0.0.1:8080']);
    expect(loadConfig({}).corsOrigins).toEqual([]);
    for (const bad of ['notaurl', '*', 'https://good.example/app', 'ftp://files.example', 'https://a.example,*']) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
    }
  });

  it('requires a JWT_SECRET of 32 bytes or more in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PUBLIC_URL: 'https://home.example.org' }).jwtSecret).toHaveLength(32);
  });

  it('requires PUBLIC_URL in production, so QR links never come from a Host header', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(/PUBLIC_URL/);
    expect(loadConfig({ NODE_ENV: 'development' }).publicUrl).toBeUndefined();
  });

  it('reads the hostile-traffic limits (issue 12) with their defaults, and names bad ones', () => {
    expect(loadConfig({})).toMatchObject({
      metricsToken: undefined,
      deviceStateRate: { perSecond: 20, burst: 40 },
      socketMaxBufferBytes: 1024 * 1024,
      maxDevicesPerHome: 256,
      deviceRetentionMs: 30 * 86_400_000,
      devicePruneIntervalMs: 3600_000,
    });
    expect(loadConfig({ DEVICE_STATE_RATE: '5/s' }).deviceStateRate).toEqual({ perSecond: 5, burst: 10 });
    expect(loadConfig({ DEVICE_STATE_RATE: '0.5', DEVICE_STATE_BURST: '3' }).deviceStateRate).toEqual({ perSecond: 0.5, burst: 3 });
    for (const bad of [{ DEVICE_STATE_RATE: 'lots' }, { SOCKET_MAX_BUFFER: '-1' }, { MAX_DEVICES_PER_HOME: '0' }, { DEVICE_RETENTION: 'never' }, { METRICS_TOKEN: 'short' }]) {
      expect(() => loadConfig(bad)).toThrow(new RegExp(Object.keys(bad)[0]!));
    }
  });

  it('reads durations and defaults as the contract says', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      store: 'sqlite',
      homeSerial: 'home-1',
      accessTokenTtlMs: 30 * 3600_000,
      refreshTokenTtlMs: 30 * 86_400_000,
      pairingCodeTtlMs: 180_000,
      pairingMaxAttempts: 5,
      pairingLockAfter: 3,
      pairingLockDurationMs: 3600_000,
      deviceCommandTimeoutMs: 5000,
      qrSessionTtlMs: 185_000,
      qrPingIntervalMs: 10_000,
      demoDevices: true,
    });
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).store).toBe('redis');
  });
});

/** Runs the real entry point as a user would, and waits for `pattern` on stdout. */
function startMain(env: Record<string, string>, command: [string, string[]] = [process.execPath, ['dist/main.js']]) {
  const child = spawn(command[0], command[1], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', DEMO_DEVICES: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += String(d)));
  child.stderr.on('data', (d) => (output += String(d)));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        const match = output.match(pattern);
        if (match) return resolve(match);
        if (child.exitCode !== null) return reject(new Error(`exited ${child.exitCode}: ${output}`));
        if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${pattern}: ${output}`));
        setTimeout(check, 50);
      };
      check();
    });
  // 'close' (not 'exit'): it fires once the child's output has been read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, waitFor, exited, output: () => output };
}

describe('the relay process', () => {
  it('starts on embedded defaults, prints the kiosk URL with a kept hub key, and stops on SIGTERM within 5 s', async () => {
    const dataDir = tempDir();
    const first = startMain({ PORT: '0', DATA_DIR: dataDir });
    const [, url, serial, key] = await first.waitFor(/kiosk:\s+(http:\/\/localhost:\d+)\/kiosk#serial=([^&\s]+)&key=(\S+)/);
    expect(serial).toBe('home-1');
    expect((await getJson(`${url}/healthz`)).body).toEqual({ status: 'ok' });
    await expect(connectKiosk({ url: url! }, 'home-1', key)).resolves.toBeTruthy();
    closeSockets();
    const stopping = Date.now();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(5000);

    // Not generated this time and stdout is a pipe: the key stays out of the captured output.
    const second = startMain({ PORT: '0', DATA_DIR: dataDir });
    await second.waitFor(/hub key:\s+not printed .*relay homes show-key home-1/);
    expect(second.output()).not.toContain(key);
    expect(second.output()).toMatch(/kiosk:\s+http:\/\/localhost:\d+\/kiosk#serial=home-1\n/);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });

  it('stops gracefully when a supervisor sends SIGTERM to `npm start`', async () => {
    const viaNpm = startMain({ PORT: '0', DATA_DIR: tempDir(), LOG_LEVEL: 'info' }, ['npm', ['start', '--silent']]);
    const [, url] = await viaNpm.waitFor(/dashboard:\s+(http:\/\/localhost:\d+)\//);
    viaNpm.child.kill('SIGTERM');
    await viaNpm.exited;
    // npm must hand the signal to the relay (the start script execs node), not leave it running orphaned.
    await viaNpm.waitFor(/"msg":"stopped"/, 5000).catch(() => undefined);
    expect(viaNpm.output()).toContain('"msg":"stopped"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('refuses to start with a bad value, naming the variable', async () => {
    const bad = startMain({ PORT: 'eighty', DATA_DIR: tempDir() });
    expect(await bad.exited).not.toBe(0);
    expect(bad.output()).toContain('PORT');
  });
});

describe('relay CLI', () => {
  const relayCli = (args: string[], dataDir: string) =>
    spawnSync(process.execPath, ['bin/relay', ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir }, encoding: 'utf8' });

  it('adds, lists, rotates and removes homes in the configured store', () => {
    const dataDir = tempDir();
    const added = relayCli(['homes', 'add', 'flat-7'], dataDir);
    expect(added.status).toBe(0);
    const key = added.stdout.trim().split('\n').at(-1)!;
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(relayCli(['homes', 'add', 'flat-7'], dataDir).status).not.toBe(0);
    expect(relayCli(['homes', 'list'], dataDir).stdout).toContain('flat-7');
    const rotated = relayCli(['homes', 'rotate-key', 'flat-7'], dataDir);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout.trim().split('\n').at(-1)).not.toBe(key);
    expect(relayCli(['homes', 'remove', 'flat-7'], dataDir).status).toBe(0);
    expect(relayCli(['homes', 'list'], dataDir).stdout).not.toContain('flat-7');
    expect(relayCli(['homes', 'add', 'bad serial!'], dataDir).status).not.toBe(0);
    expect(relayCli(['nonsense'], dataDir).status).toBe(64);
  });
});
