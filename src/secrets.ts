import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a secret kept in DATA_DIR, creating it (mode 0600) on first use, so that a relay started
 * without configuration keeps the same JWT secret and hub key across restarts.
 */
export function loadOrCreateSecret(dataDir: string, name: string, bytes = 32): { value: string; created: boolean } {
  const file = join(dataDir, name);
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length > 0) return { value, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(bytes).toString('base64url');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

/** A secret kept in DATA_DIR, or undefined; never creates one. */
export function readSecret(dataDir: string, name: string): string | undefined {
  const file = join(dataDir, name);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim() || undefined;
}

export function writeSecret(dataDir: string, name: string, value: string): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, name), `${value}\n`, { mode: 0o600 });
}

export const HUB_KEY_FILE = 'hub-key';
export const JWT_SECRET_FILE = 'jwt-secret';
