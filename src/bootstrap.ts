import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { digestsEqual, sha256Hex } from './crypto.ts';
import { HomeService } from './homes/service.ts';
import { HUB_KEY_FILE, JWT_SECRET_FILE, loadOrCreateSecret } from './secrets.ts';
import { keys } from './store/keys.ts';
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

/** How long the record of the applied HUB_KEY is kept: for as long as the home is. */
const ENV_KEY_RECORD_MS = 100 * 365 * 24 * 3600 * 1000;

/**
 * Makes sure the default home exists. HUB_KEY, when set, creates the home with that key, and a
 * HUB_KEY changed since the last start replaces the home's key (the operator changed it on
 * purpose). But the HUB_KEY that `relay homes rotate-key` replaced does not come back: a key is
 * rotated because it leaked, and a restart with the old environment must not revive it. Which
 * HUB_KEY was last applied is kept (as a hash) in the store, so every instance decides alike.
 * Without HUB_KEY, a key is generated once into DATA_DIR and used to create the home if the store lacks it.
 */
export async function ensureDefaultHome(config: Config, store: Store, clock: Clock): Promise<DefaultHome> {
  const homes = new HomeService({ store, clock });
  const serial = config.homeSerial;
  if (config.hubKey) return applyEnvKey(homes, store, clock, serial, config.hubKey);
  const { value: kept, created } = loadOrCreateSecret(config.dataDir, HUB_KEY_FILE, 24);
  const home = await store.getHome(serial);
  if (!home) {
    await homes.setKey(serial, kept);
    return { serial, printableKey: kept, generated: true };
  }
  if (digestsEqual(home.hubKeyHash, sha256Hex(kept))) return { serial, printableKey: kept, generated: created };
  return { serial, printableKey: undefined, generated: false, note: `the hub key of "${serial}" was rotated; use the key "relay homes rotate-key" printed` };
}

async function applyEnvKey(homes: HomeService, store: Store, clock: Clock, serial: string, hubKey: string): Promise<DefaultHome> {
  const envHash = sha256Hex(hubKey);
  const recordKey = keys.hubKeyFromEnv(serial);
  const remember = () => store.set(recordKey, { hash: envHash }, clock.now() + ENV_KEY_RECORD_MS);
  const home = await store.getHome(serial);
  const done: DefaultHome = { serial, printableKey: undefined, generated: false };
  if (home && digestsEqual(home.hubKeyHash, envHash)) {
    await remember();
    return done;
  }
  const applied = await store.get<{ hash: string }>(recordKey);
  if (home && applied && digestsEqual(applied.hash, envHash)) {
    return { ...done, note: `HUB_KEY is the key of "${serial}" that "relay homes rotate-key" replaced: the rotated key stays; set HUB_KEY to it or remove HUB_KEY` };
  }
  await homes.setKey(serial, hubKey);
  await remember();
  // A key changed on purpose through HUB_KEY: kiosks and devices on the old one go, on every instance.
  if (home) await store.announceHomeChange({ serial, kind: 'rotated' });
  return done;
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
