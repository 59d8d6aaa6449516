import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'server.lock';
const PID_FILE = 'server.pid';

export class DataDirInUseError extends Error {}

export interface DataDirLock {
  release(): void;
}

/**
 * Makes this process the one relay server on a SQLite DATA_DIR. Two servers on one database each
 * keep their own sockets, pairing codes and QR sessions in memory and half-work; the second is
 * stopped here instead. The CLI takes no lock: it works beside a running server.
 *
 * The lock is an exclusive transaction held open on DATA_DIR/server.lock (a tiny SQLite file of
 * its own, never the store). SQLite's file locks belong to the process, so the operating system
 * releases them however the process ends, SIGKILL included: a crash leaves no stale lock behind.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const lock = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const holder = readHolder(dataDir);
    throw new DataDirInUseError(
      `DATA_DIR ${dataDir} is in use by another relay server${holder ? ` (pid ${holder})` : ''}. ` +
        'Stop it, or give this one its own DATA_DIR (or STORE=redis for several instances). The relay CLI works beside a running server.',
    );
  }
  // Only for the message above: the lock itself is the transaction.
  writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`);
  return {
    release() {
      if (!lock.open) return;
      rmSync(join(dataDir, PID_FILE), { force: true });
      lock.close();
    },
  };
}

function readHolder(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, PID_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
