import { bannerKey, type DefaultHome, kioskUrl } from './bootstrap.ts';
import type { Config } from './config.ts';
import { sqliteFile } from './paths.ts';

/** Where the data lives, as the operator needs it to back it up or find the right store; never a password. */
export function describeStore(config: Pick<Config, 'store' | 'dataDir' | 'redisUrl' | 'redisKeyPrefix'>): string {
  if (config.store === 'sqlite') return sqliteFile(config.dataDir);
  if (config.store === 'redis' && config.redisUrl) {
    const url = new URL(config.redisUrl);
    if (url.password) url.password = '***';
    return `${url.toString()} (key prefix "${config.redisKeyPrefix}"; secrets in ${config.dataDir})`;
  }
  return `in memory, lost on exit (secrets in ${config.dataDir})`;
}

/**
 * The start-up banner, for the operator's terminal (not the log stream: it may carry the kiosk's key).
 * Links use PUBLIC_URL when set, as QR codes do; the address actually bound is shown beside them.
 */
export function startupBanner(config: Config, port: number, home: DefaultHome, interactive: boolean): string {
  const local = `http://localhost:${port}`;
  const baseUrl = config.publicUrl ?? local;
  const shown = bannerKey(home, interactive);
  return (
    `\n  home-relay on ${baseUrl}  (store: ${config.store})\n` +
    `  data:       ${describeStore(config)}\n` +
    (config.publicUrl ? `  listening:  ${config.host}:${port}\n` : '') +
    `  dashboard:  ${baseUrl}/\n` +
    `  kiosk:      ${kioskUrl(baseUrl, home.serial, shown.key)}\n` +
    (shown.hint ? `  hub key:    ${shown.hint}\n` : '') +
    (home.note ? `  note:       ${home.note}\n` : '') +
    '\n'
  );
}
