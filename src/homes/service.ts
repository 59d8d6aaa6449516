import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import { serialPattern } from '../config.ts';
import { digestsEqual, randomId, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { HomeRecord, Store } from '../store/types.ts';

export type HubKeyCheck = 'ok' | 'home_not_found' | 'invalid_hub_key';

/** Homes and their hub keys. Only a hash of each key is stored; the key is shown once, when made. */
export class HomeService {
  constructor(private readonly deps: { store: Store; clock: Clock }) {}

  async get(serial: string): Promise<HomeRecord | null> {
    return this.deps.store.getHome(serial);
  }

  list(): Promise<HomeRecord[]> {
    return this.deps.store.listHomes();
  }

  /** The home a request means: the given serial, or the only home when there is exactly one. */
  async resolve(serial: string | undefined): Promise<HomeRecord> {
    if (serial !== undefined) {
      const home = await this.deps.store.getHome(serial);
      if (!home) throw new AppError('home_not_found', `No home with serial "${serial}".`);
      return home;
    }
    const homes = await this.deps.store.listHomes();
    if (homes.length === 1 && homes[0]) return homes[0];
    if (homes.length === 0) throw new AppError('home_not_found', 'This relay has no home yet.');
    throw new AppError('invalid_request', 'This relay serves several homes: give "serial".');
  }

  async checkHubKey(serial: string, hubKey: string): Promise<HubKeyCheck> {
    const home = await this.deps.store.getHome(serial);
    if (!home) return 'home_not_found';
    return digestsEqual(home.hubKeyHash, sha256Hex(hubKey)) ? 'ok' : 'invalid_hub_key';
  }

  /** Creates a home with a fresh key (returned once); refuses an existing serial. */
  async add(serial: string): Promise<string> {
    assertSerial(serial);
    if (await this.deps.store.getHome(serial)) throw new AppError('invalid_request', `Home "${serial}" already exists.`);
    const hubKey = newHubKey();
    await this.setKey(serial, hubKey);
    return hubKey;
  }

  /** Sets a home's key, creating the home if needed (used for the default home at start-up). */
  async setKey(serial: string, hubKey: string): Promise<void> {
    assertSerial(serial);
    await this.deps.store.upsertHome({ serial, hubKeyHash: sha256Hex(hubKey), createdAt: isoAt(this.deps.clock.now()) });
  }

  async rotateKey(serial: string): Promise<string> {
    if (!(await this.deps.store.getHome(serial))) throw new AppError('home_not_found', `No home with serial "${serial}".`);
    const hubKey = newHubKey();
    await this.setKey(serial, hubKey);
    return hubKey;
  }

  async remove(serial: string): Promise<boolean> {
    return this.deps.store.removeHome(serial);
  }
}

export const newHubKey = (): string => randomId(24);

function assertSerial(serial: string): void {
  if (!serialPattern.test(serial)) {
    throw new AppError('invalid_request', 'A serial is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
}
