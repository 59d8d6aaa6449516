import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './net.ts';
import { findExecutable } from './requires.ts';

const run = promisify(execFile);

/** redis-cli's path (needed to create a cluster), or null. */
export const redisCliBinary = (): string | null => findExecutable('redis-cli', ['/usr/bin/redis-cli']);

export interface ClusterNode {
  readonly port: number;
  readonly url: string;
  /** Still running (not killed by the test). */
  readonly alive: boolean;
}

export interface RedisClusterServer {
  readonly nodes: readonly ClusterNode[];
  /** What a relay needs to reach it: REDIS_CLUSTER_NODES=<every node>. */
  readonly env: Record<string, string>;
  /** Comma-separated node URLs (the value of REDIS_CLUSTER_NODES). */
  readonly nodeList: string;
  /** The ports of the current masters, from CLUSTER NODES. */
  masters(): Promise<number[]>;
  /** SIGKILLs one node, as a crash would. */
  killNode(port: number): Promise<void>;
  /** Resolves when every live node says the cluster is ok. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** After a master was killed: resolves when a replica has taken its slots (as many live masters as before) and the cluster is ok. */
  waitFailover(timeoutMs?: number): Promise<void>;
  /** Runs redis-cli against one node (or the first live one). */
  cli(args: string[], port?: number): Promise<string>;
  /** Stops every node and removes their files. Safe to call twice. */
  kill(): Promise<void>;
}

async function waitReplicasSynced(ports: number[], expected: number, cli: (args: string[], port?: number) => Promise<string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(ports.map((p) => cli(['info', 'replication'], p)));
    const synced = infos.filter((i) => /role:slave/.test(i) && /master_link_status:up/.test(i) && !/master_sync_in_progress:1/.test(i)).length;
    if (synced >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${synced} of ${expected} replicas synced after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface RedisClusterOptions {
  masters?: number;
  /** Replicas per master (1 for failover tests). */
  replicas?: number;
  /** cluster-node-timeout: how long a silent master takes to be failed over (ms). */
  nodeTimeoutMs?: number;
}

/**
 * A real Redis Cluster for one test file: `masters × (1 + replicas)` redis-server processes with
 * `--cluster-enabled yes` on free ports, joined by `redis-cli --cluster create`. Nothing is
 * persisted; everything is removed after. Tests never touch the machine's Redis.
 */
export async function startRedisCluster(serverBinary: string, cliBinary: string, options: RedisClusterOptions = {}): Promise<RedisClusterServer> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 0;
  const count = masters * (1 + replicas);
  const dir = mkdtempSync(join(tmpdir(), 'relay-redis-cluster-'));
  const processes = new Map<number, ChildProcess>();
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    let port = await freePort();
    // The cluster bus listens on port + 10000: both must be free.
    while (port + 10_000 > 65_535 || ports.includes(port)) port = await freePort();
    ports.push(port);
  }

  const launch = async (port: number) => {
    const proc = spawn(
      serverBinary,
      [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', String(options.nodeTimeoutMs ?? 2000),
        '--dir', dir,
        '--dbfilename', `dump-${port}.rdb`,
        '--save', '',
        '--appendonly', 'no',
        '--loglevel', 'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    processes.set(port, proc);
    let output = '';
    proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPort(port, 10_000, () => (proc.exitCode !== null ? `redis-server ${port} exited: ${output}` : null));
  };
  const killNode = async (port: number) => {
    const proc = processes.get(port);
    processes.delete(port);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  };
  const killAll = async () => {
    await Promise.all([...processes.keys()].map(killNode));
    rmSync(dir, { recursive: true, force: true });
  };
  const livePort = () => {
    const port = ports.find((p) => processes.has(p));
    if (port === undefined) throw new Error('no live cluster node');
    return port;
  };
  const cli = async (args: string[], port = livePort()) => (await run(cliBinary, ['-p', String(port), ...args], { timeout: 20_000 })).stdout;

  const waitHealthy = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      try {
        // Every live node must agree, or a client could still be sent to a stale master.
        const states = await Promise.all(ports.filter((p) => processes.has(p)).map((p) => cli(['cluster', 'info'], p)));
        if (states.every((s) => /cluster_state:ok/.test(s))) return;
        last = states.map((s) => /cluster_state:\w+/.exec(s)?.[0]).join(', ');
      } catch (err) {
        last = String(err);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`redis cluster not healthy after ${timeoutMs} ms: ${last}`);
  };

  try {
    await Promise.all(ports.map(launch));
    await run(
      cliBinary,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'],
      { timeout: 60_000 },
    );
    await waitHealthy();
    // Replicas attach and sync after `create` returns; a master killed before its replica has
    // synced cannot be failed over (the replica has no data to serve), so wait for every link.
    if (replicas > 0) await waitReplicasSynced(ports, masters * replicas, cli);
  } catch (err) {
    await killAll();
    throw err;
  }

  const liveMasters = async () => {
    const out = await cli(['cluster', 'nodes']);
    return out
      .split('\n')
      .filter((line) => /\bmaster\b/.test(line) && !/\bfail\b/.test(line))
      .map((line) => Number(/:(\d+)@/.exec(line)?.[1]))
      .filter((port) => processes.has(port));
  };
  const nodes = ports.map((port) => ({
    port,
    url: `redis://127.0.0.1:${port}`,
    get alive() {
      return processes.has(port);
    },
  }));
  const nodeList = nodes.map((n) => n.url).join(',');
  return {
    nodes,
    nodeList,
    env: { REDIS_CLUSTER_NODES: nodeList },
    masters: liveMasters,
    killNode,
    waitHealthy,
    async waitFailover(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await liveMasters()).length < masters) {
        if (Date.now() > deadline) throw new Error(`no failover within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await waitHealthy(Math.max(1000, deadline - Date.now()));
    },
    cli,
    kill: killAll,
  };
}
