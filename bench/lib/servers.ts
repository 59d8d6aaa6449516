import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forkTs, request, stopChild, type Child } from './children.ts';
import { freePort } from './free-port.ts';
import { readCpuMs } from './cpu.ts';
import { readRssBytes } from './rss.ts';
import { sleep } from './stats.ts';

export type ServerKind = 'relay' | 'baseline';
/**
 * `production`: NODE_ENV=production, LOG_LEVEL=warn, no demo devices (how the bench runs the relay).
 * `default`: what a bare `npm start` does: no NODE_ENV, LOG_LEVEL's default (info, a line per
 * pairing step), demo devices on. Rate limits stay off in both, or the bench would measure 429s.
 */
export type RelayMode = 'production' | 'default';

/** What a load generator needs to reach a server under test. */
export interface Target {
  kind: ServerKind;
  url: string;
  serial: string;
  hubKey: string;
}

export interface LoopDelay {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export interface RunningServer {
  readonly target: Target;
  readonly pid: number;
  rssBytes(): number;
  /** CPU time the server process has used so far (ms, all threads). */
  cpuMs(): number;
  /** Full GC in the server, then a pause so freed pages can go back to the kernel before RSS is read. */
  settle(ms?: number): Promise<void>;
  resetLoopDelay(): Promise<void>;
  readLoopDelay(): Promise<LoopDelay>;
  stop(): Promise<void>;
  /** SIGTERM with whatever is connected: how long the server takes to exit, and how it exited (SIGKILL after `graceMs`). */
  drain(graceMs: number): Promise<{ ms: number; how: string }>;
}

export const BENCH_HUB_KEY = 'bench-hub-key-0123456789abcdef';
export const BENCH_JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
export const BENCH_SERIAL = 'home-1';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const entries: Record<ServerKind, string> = { relay: here('../../src/main.ts'), baseline: here('../baseline/server.ts') };
const preload = new URL('../preload/loop-delay.ts', import.meta.url).href;

/** `--cpu-prof <dir>`: relay processes write a V8 CPU profile there when they stop. */
let relayCpuProfileDir: string | null = null;
export function profileRelayInto(dir: string | null): void {
  relayCpuProfileDir = dir;
}

/**
 * Starts a server as its own process, the relay through its real entry point. Both get the same
 * preload (event-loop delay, GC on request) and NODE_ENV=production.
 */
export async function startServer(
  kind: ServerKind,
  options: { store?: 'memory' | 'sqlite' | 'redis'; redisUrl?: string; mode?: RelayMode; env?: Record<string, string>; raiseFdLimit?: boolean; execArgv?: string[]; prepare?: (dataDir: string) => Promise<void> } = {},
): Promise<RunningServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `bench-${kind}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    STORE: options.store ?? 'memory',
    RATE_LIMITS: 'off',
    // The per-home code request limit stays with RATE_LIMITS=off; the pairing scenario asks for thousands.
    PAIRING_CODE_REQUESTS: '100000000/1m',
    LOG_LEVEL: 'warn',
    DEMO_DEVICES: 'false',
    // The idle scenario holds thousands of devices in one home; the per-home cap (256) is for hostile homes.
    MAX_DEVICES_PER_HOME: '1000000',
    HOME_SERIAL: BENCH_SERIAL,
    HUB_KEY: BENCH_HUB_KEY,
    JWT_SECRET: BENCH_JWT_SECRET,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  };
  if (options.mode === 'default') {
    delete env.NODE_ENV;
    delete env.LOG_LEVEL;
    delete env.DEMO_DEVICES;
  }
  // Before the relay opens its store: e.g. homes created in it, as the CLI would.
  await options.prepare?.(dataDir);
  const label = kind === 'relay' ? `relay (${env.STORE}${options.mode === 'default' ? ', default mode' : ''})` : 'baseline';
  const profile = kind === 'relay' && relayCpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${relayCpuProfileDir}`] : [];
  const child = forkTs(label, entries[kind], { execArgv: ['--import', preload, '--expose-gc', ...profile, ...(options.execArgv ?? [])], env, raiseFdLimit: options.raiseFdLimit ?? false });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(child, url);
  } catch (err) {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    target: { kind, url, serial: BENCH_SERIAL, hubKey: BENCH_HUB_KEY },
    pid: child.pid,
    rssBytes: () => readRssBytes(child.pid),
    cpuMs: () => readCpuMs(child.pid),
    async settle(ms = 1000) {
      await request(child, 'gc');
      await sleep(ms);
    },
    async resetLoopDelay() {
      await request(child, 'loop:reset');
    },
    readLoopDelay: () => request<LoopDelay>(child, 'loop:read'),
    async stop() {
      await stopChild(child, 5000);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async drain(graceMs) {
      const started = performance.now();
      await stopChild(child, graceMs);
      const ms = performance.now() - started;
      rmSync(dataDir, { recursive: true, force: true });
      return { ms, how: await child.exited };
    },
  };
}

async function waitHealthy(child: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void child.exited.then(() => (dead = true));
  while (Date.now() < deadline) {
    if (dead) throw new Error(`${child.label} exited during start-up:\n${child.tail()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.label} not healthy after ${timeoutMs} ms:\n${child.tail()}`);
}
