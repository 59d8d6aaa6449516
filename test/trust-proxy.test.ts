import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { type MainProcess, startMain, stopAll } from './helpers/main-process.ts';
import { postJson, tempDir } from './helpers/relay.ts';

const root = new URL('..', import.meta.url).pathname;
const trustOf = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy;
const problemOf = (value: string) => {
  try {
    loadConfig({ TRUST_PROXY: value });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  return null;
};

describe('TRUST_PROXY accepts a hop count, addresses or subnets, never "trust everything"', () => {
  it('reads hop counts, addresses, subnets and the named ranges', () => {
    expect(trustOf('false')).toBe(0);
    expect(trustOf('1')).toBe(1);
    expect(trustOf('loopback')).toEqual(['loopback']);
    expect(trustOf('10.0.0.1, 192.168.0.0/16,fd00::/8, uniquelocal')).toEqual(['10.0.0.1', '192.168.0.0/16', 'fd00::/8', 'uniquelocal']);
    expect(trustOf('10.0.0.0/255.0.0.0')).toEqual(['10.0.0.0/255.0.0.0']);
  });

  it('refuses values that would believe any client, naming the variable', () => {
    for (const value of ['true', 'TRUE', 'yes', 'on', '*', '0.0.0.0/0', '::/0', '10.0.0.0/0.0.0.0', '10.0.0.1, 0.0.0.0/0']) {
      expect(problemOf(value), value).toMatch(/TRUST_PROXY: .*(anyone|every address)/);
    }
    for (const value of ['proxy.local', '10.0.0.0/33', '10.0.0.0/255.0.255.0', '1.2.3.4/8/8']) {
      expect(problemOf(value), value).toMatch(/TRUST_PROXY: /);
    }
  });
});

describe('the relay process and TRUST_PROXY', () => {
  const processes: MainProcess[] = [];
  afterEach(async () => {
    await stopAll(processes.splice(0));
  });

  it('`npm start` with TRUST_PROXY=true stops at start-up with a message naming the variable', () => {
    const run = spawnSync('npm', ['start', '--silent'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', DATA_DIR: tempDir(), TRUST_PROXY: 'true', DEMO_DEVICES: 'false' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toMatch(/TRUST_PROXY: "true" would believe X-Forwarded-For from anyone/);
    expect(run.stdout).not.toMatch(/home-relay on/);
  });

  it('with a hop count, believes only the entry the trusted proxy added', async () => {
    const relay = await startMain({ TRUST_PROXY: '1', RATE_LIMIT_CLAIM_PER_MINUTE: '2' });
    processes.push(relay);
    const claim = (forwarded: string) => postJson(`${relay.url}/api/v1/pairing/claim`, { code: '123456' }, { 'x-forwarded-for': forwarded });
    // The client forges a first entry each time; the proxy (here: loopback, one hop) appends the real one.
    expect((await claim('203.0.113.1, 198.51.100.7')).status).toBe(401);
    expect((await claim('203.0.113.2, 198.51.100.7')).status).toBe(401);
    expect((await claim('203.0.113.3, 198.51.100.7')).status).toBe(429);
    expect((await claim('203.0.113.3, 198.51.100.8')).status).toBe(401);
  });
});
