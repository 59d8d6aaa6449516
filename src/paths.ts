import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { config as readDotEnv } from 'dotenv';

/**
 * Where the relay's files are, decided the same way by the server and the CLI wherever they are
 * started from. Resolving against the working directory made `relay` run from another directory
 * open a second, empty store (a new hub key and JWT secret: every token suddenly invalid).
 */

/** The directory holding package.json: one level above this module, in src/ and in dist/ alike. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

/** DATA_DIR: an absolute path as given; a relative one is taken from the package root, never the working directory. */
export const resolveDataDir = (dataDir: string): string => resolve(packageRoot, dataDir);

/** The `.env` file read at start: the one beside package.json. */
export const envFilePath = join(packageRoot, '.env');

/** Loads `.env` into `env`; variables already set (by the shell, systemd, a test) win over the file. */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env): void {
  readDotEnv({ path: envFilePath, processEnv: env, quiet: true });
}

/** The SQLite store's database file in DATA_DIR. */
export const sqliteFile = (dataDir: string): string => join(dataDir, 'relay.sqlite');
