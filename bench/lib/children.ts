import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root: `--import tsx` is resolved from the working directory, so children run here. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const live = new Set<ChildProcess>();

/** As many open files as the hard limit allows (1,048,576 where permitted); `$0` is node. */
export const RAISE_FD_LIMIT = 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';

/** The open-file limit a child started with `raiseFdLimit` gets on this machine. */
export function raisedFdLimit(): number {
  const out = execFileSync('/bin/bash', ['-c', 'ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n']).toString().trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

export interface Child {
  readonly process: ChildProcess;
  readonly label: string;
  readonly pid: number;
  /** The last lines the child printed, for error messages. */
  tail(): string;
  /** Resolves with the exit code (or signal) once the child is gone. */
  readonly exited: Promise<string>;
}

/** Forks a TypeScript entry under tsx with an IPC channel; every child is remembered until it exits. */
export function forkTs(
  label: string,
  entry: string,
  options: { execArgv?: string[]; env?: NodeJS.ProcessEnv; args?: string[]; raiseFdLimit?: boolean } = {},
): Child {
  const nodeArgs = ['--import', 'tsx', ...(options.execArgv ?? [])];
  const proc = fork(entry, options.args ?? [], {
    cwd: repoRoot,
    // Node cannot setrlimit: bash raises the soft limit, then execs node with the IPC channel intact.
    ...(options.raiseFdLimit ? { execPath: '/bin/bash', execArgv: ['-c', RAISE_FD_LIMIT, process.execPath, ...nodeArgs] } : { execArgv: nodeArgs }),
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  if (proc.pid === undefined) throw new Error(`could not start ${label}`);
  live.add(proc);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    if (lines.length > 30) lines.splice(0, lines.length - 30);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<string>((resolve) => {
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      resolve(signal ?? String(code));
    });
  });
  return { process: proc, label, pid: proc.pid, tail: () => lines.join('\n'), exited };
}

/** SIGTERM, then SIGKILL after `graceMs`: a server closing 10,000 sockets may need a moment. */
export async function stopChild(child: Child, graceMs = 3000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((proc) => new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
  })));
}

/** On Ctrl-C, a crash or a plain exit, no server or load generator is left behind. */
export function installCleanup(): void {
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping ${live.size} child process(es)…\n`);
    void stopAllChildren().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const proc of live) proc.kill('SIGKILL');
  });
}

let nextId = 1;

/** Sends `{ bench: type, id, ... }` and resolves with the child's reply carrying the same id. */
export function request<T = Record<string, unknown>>(child: Child, type: string, payload: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.process.off('message', onMessage);
      reject(new Error(`${child.label}: no reply to "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: unknown) => {
      const reply = message as { id?: number; error?: string };
      if (reply?.id !== id) return;
      clearTimeout(timer);
      child.process.off('message', onMessage);
      if (reply.error) reject(new Error(`${child.label}: ${reply.error}`));
      else resolve(message as T);
    };
    child.process.on('message', onMessage);
    // A child that dies mid-request must fail the run at once, with what it printed.
    void child.exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`${child.label} exited (${how}) before answering "${type}":\n${child.tail()}`));
    });
    child.process.send({ bench: type, id, ...payload });
  });
}
