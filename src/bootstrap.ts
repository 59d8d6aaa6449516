import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { digestsEqual, sha256Hex } from './crypto.ts';
import { HomeService } from './homes/service.ts';
import { HUB_KEY_FILE, JWT_SECRET_FILE, loadOrCreateSecret } from './secrets.ts';
import type { Store } from './store/types.ts';

/** The JWT secret: JWT_SECRET, or one generated once and kept in DATA_DIR (config refuses that in production). */
export function resolveJwtSecret(config: Pick<Config, 'jwtSecret' | 'dataDir'>): string {
  return config.jwtSecret ?? loadOrCreateSecret(config.dataDir, JWT_SECRET_FILE, 48).value;
}

export interface DefaultHome {
  serial: string;
  /** The key to print in the kiosk URL; undefined when it came from HUB_KEY (the operator has it) or was rotated away. */
  printableKey: string | undefined;
  /** The key was made (or the home created with it) by this start: the one time it is printed unasked. */
  generated: boolean;
  note?: string;
}

/**
 * Makes sure the default home exists. HUB_KEY, when set, is authoritative; otherwise a key is
 * generated once into DATA_DIR and used to create the home if the store lacks it.
 */
export async function ensureDefaultHome(config: Config, store: Store, clock: Clock): Promise<DefaultHome> {
  const homes = new HomeService({ store, clock });
  const serial = config.homeSerial;
  if (config.hubKey) {
    await homes.setKey(serial, config.hubKey);
    return { serial, printableKey: undefined, generated: false };
  }
  const { value: kept, created } = loadOrCreateSecret(config.dataDir, HUB_KEY_FILE, 24);
  const home = await store.getHome(serial);
  if (!home) {
    await homes.setKey(serial, kept);
    return { serial, printableKey: kept, generated: true };
  }
  if (digestsEqual(home.hubKeyHash, sha256Hex(kept))) return { serial, printableKey: kept, generated: created };
  return { serial, printableKey: undefined, generated: false, note: `the hub key of "${serial}" was rotated; use the key "relay homes rotate-key" printed` };
}

/**
 * The banner's kiosk URL carries the hub key only when this start made it, or when stdout is a
 * terminal (a person is watching); never into a log collector that captures stdout.
 */
export function bannerKey(home: DefaultHome, interactive: boolean): { key: string | undefined; hint?: string } {
  if (!home.printableKey) return { key: undefined };
  if (home.generated || interactive) return { key: home.printableKey };
  return { key: undefined, hint: `not printed (stdout is not a terminal); show it with: relay homes show-key ${home.serial}` };
}

export function kioskUrl(baseUrl: string, serial: string, hubKey: string | undefined): string {
  const fragment = new URLSearchParams({ serial, ...(hubKey ? { key: hubKey } : {}) });
  return `${baseUrl}/kiosk#${fragment.toString()}`;
}
