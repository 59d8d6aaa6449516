import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import { serialPattern } from '../config.ts';
import { randomId, sha256Hex } from '../crypto.ts';
import { AppError } from '../errors.ts';
import type { DeviceAuthMode, HomeChange, HomeRecord, Store } from '../store/types.ts';
import { type Forgotten, forgetHome } from './forget.ts';

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
    // Two are enough to tell "the only home" from "several": never read every home per request.
    const homes = await this.deps.store.listHomes(2);
    if (homes.length === 1 && homes[0]) return homes[0];
    if (homes.length === 0) throw new AppError('home_not_found', 'This relay has no home yet.');
    throw new AppError('invalid_request', 'This relay serves several homes: give "serial".');
  }

  /** Creates a home with a fresh key (returned once); refuses an existing serial. */
  async add(serial: string): Promise<string> {
    assertSerial(serial);
    if (await this.deps.store.getHome(serial)) throw new AppError('invalid_request', `Home "${serial}" already exists.`);
    const hubKey = newHubKey();
    await this.setKey(serial, hubKey);
    return hubKey;
  }

  /**
   * Sets a home's key, creating the home if needed (used for the default home at start-up). A new
   * home gets a fresh generation; an existing one keeps its own (the store ignores it then).
   */
  async setKey(serial: string, hubKey: string): Promise<void> {
    assertSerial(serial);
    await this.deps.store.upsertHome({ serial, hubKeyHash: sha256Hex(hubKey), createdAt: isoAt(this.deps.clock.now()), generation: randomId(12) });
  }

  /** A new key; kiosks and devices still on the old one are disconnected on every instance. */
  async rotateKey(serial: string): Promise<string> {
    if (!(await this.deps.store.getHome(serial))) throw new AppError('home_not_found', `No home with serial "${serial}".`);
    const hubKey = newHubKey();
    await this.setKey(serial, hubKey);
    await this.announce({ serial, kind: 'rotated' });
    return hubKey;
  }

  /** `keys`: the hub key stops opening `/device` for this home; devices on it are disconnected. */
  async setDeviceAuth(serial: string, mode: DeviceAuthMode): Promise<void> {
    if (!(await this.deps.store.setHomeDeviceAuth(serial, mode))) throw new AppError('home_not_found', `No home with serial "${serial}".`);
    await this.announce({ serial, kind: 'device-auth' });
  }

  /** Forgets the home and all it owns (see forget.ts); its live sockets are disconnected everywhere. Null: no such home. */
  async remove(serial: string): Promise<Forgotten | null> {
    const forgotten = await forgetHome(this.deps.store, this.deps.clock, serial);
    if (forgotten) await this.announce({ serial, kind: 'removed' });
    return forgotten;
  }

  private announce(change: HomeChange): Promise<void> {
    return this.deps.store.announceHomeChange(change);
  }
}

export const newHubKey = (): string => randomId(24);

function assertSerial(serial: string): void {
  if (!serialPattern.test(serial)) {
    throw new AppError('invalid_request', 'A serial is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit.');
  }
}
