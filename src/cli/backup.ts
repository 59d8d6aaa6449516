import { chmodSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../config.ts';
import { sqliteFile } from '../paths.ts';
import type { CliIo } from './io.ts';

export const backupUsage = `  backup <file>                copy the SQLite store to a new file, safely while the relay runs`;

/**
 * `relay backup <file>`: SQLite's online backup API copies the database page by page while the
 * server keeps writing (a plain `cp` of a WAL database can catch it half-written), then the copy is
 * opened and checked. The secrets in DATA_DIR are files of their own and are named, not copied.
 */
export async function backupCommand(args: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [target, ...extra] = args;
  if (!target || extra.length > 0) {
    io.err(`Usage: relay backup <file>\n\n${backupUsage}`);
    return 64;
  }
  const config = loadConfig(env);
  if (config.store !== 'sqlite') {
    io.err(
      config.store === 'redis'
        ? 'relay backup copies the SQLite store; this configuration uses Redis: back it up with Redis persistence (RDB snapshots or AOF).'
        : 'relay backup copies the SQLite store; STORE=memory keeps nothing to back up.',
    );
    return 1;
  }
  const source = sqliteFile(config.dataDir);
  if (!existsSync(source)) {
    io.err(`No database at ${source}: nothing to back up (is DATA_DIR right?).`);
    return 1;
  }
  // A file argument means what the operator's shell means: relative to the working directory.
  const destination = resolve(target);
  if (existsSync(destination)) {
    io.err(`${destination} already exists; a backup never overwrites a file.`);
    return 1;
  }
  const db = new Database(source, { fileMustExist: true, timeout: 5000 });
  try {
    await db.backup(destination);
  } finally {
    db.close();
  }
  chmodSync(destination, 0o600); // grants and token hashes: the owner's eyes only
  const copy = new Database(destination, { readonly: true, fileMustExist: true });
  try {
    const integrity = copy.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok') {
      io.err(`The copy at ${destination} failed its integrity check (${String(integrity)}); keep the previous backup.`);
      return 1;
    }
    const version = Number(copy.pragma('user_version', { simple: true }));
    const homes = (copy.prepare('SELECT COUNT(*) AS n FROM homes').get() as { n: number }).n;
    const grants = (copy.prepare('SELECT COUNT(*) AS n FROM grants WHERE revoked_at IS NULL').get() as { n: number }).n;
    io.out(`Backed up ${source} to ${destination} (schema version ${version}, ${homes} home(s), ${grants} active grant(s)).`);
    io.out(`Keep ${config.dataDir}/jwt-secret and hub-key with it unless JWT_SECRET and HUB_KEY are set: they are not in the database.`);
    return 0;
  } finally {
    copy.close();
  }
}
