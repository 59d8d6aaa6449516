import { describe, expect, it } from 'vitest';
import { ensureDefaultHome } from '../src/bootstrap.ts';
import { FakeClock } from '../src/clock.ts';
import { loadConfig } from '../src/config.ts';
import { sha256Hex } from '../src/crypto.ts';
import { HomeService } from '../src/homes/service.ts';
import { MemoryStore } from '../src/store/memory.ts';
import type { HomeChange } from '../src/store/types.ts';
import { tempDir } from './helpers/relay.ts';

const OLD_KEY = 'leaked-hub-key-0123456789abcdef';
const NEW_ENV_KEY = 'changed-hub-key-0123456789abcdef';

/**
 * A key is rotated because it leaked. Found by a black-box check: with HUB_KEY set, a restart put
 * the leaked key back and the rotated one stopped working, silently.
 */
describe('HUB_KEY and a rotated default home', () => {
  const setup = async () => {
    const clock = new FakeClock(Date.now());
    const store = new MemoryStore(clock);
    const dataDir = tempDir();
    const start = (hubKey: string | undefined) => ensureDefaultHome(loadConfig({ NODE_ENV: 'test', STORE: 'memory', DATA_DIR: dataDir, ...(hubKey ? { HUB_KEY: hubKey } : {}) }), store, clock);
    const keyIs = async (key: string) => (await store.getHome('home-1'))?.hubKeyHash === sha256Hex(key);
    const changes: HomeChange[] = [];
    await store.watchHomeChanges((change) => changes.push(change));
    return { clock, store, start, keyIs, changes, homes: new HomeService({ store, clock }) };
  };

  it('a restart with the old HUB_KEY keeps the rotated key, and says so', async () => {
    const { start, keyIs, homes } = await setup();
    await start(OLD_KEY);
    expect(await keyIs(OLD_KEY)).toBe(true);
    const rotated = await homes.rotateKey('home-1');
    const restarted = await start(OLD_KEY);
    expect(await keyIs(rotated)).toBe(true);
    expect(await keyIs(OLD_KEY)).toBe(false);
    expect(restarted.note).toMatch(/rotate-key.*replaced.*set HUB_KEY/);
  });

  it('a HUB_KEY changed on purpose replaces the key, and kiosks on the old one are told to go', async () => {
    const { start, keyIs, homes, changes } = await setup();
    await start(OLD_KEY);
    await homes.rotateKey('home-1');
    changes.length = 0;
    const restarted = await start(NEW_ENV_KEY);
    expect(await keyIs(NEW_ENV_KEY)).toBe(true);
    expect(restarted.note).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(changes).toEqual([{ serial: 'home-1', kind: 'rotated' }]);
    // And that key now stays across restarts.
    await start(NEW_ENV_KEY);
    expect(await keyIs(NEW_ENV_KEY)).toBe(true);
  });

  it('a home created before this rule (no record of HUB_KEY) is still set from HUB_KEY, as before', async () => {
    const { start, keyIs, homes } = await setup();
    await homes.setKey('home-1', 'made-by-an-older-version-0123456789');
    await start(OLD_KEY);
    expect(await keyIs(OLD_KEY)).toBe(true);
  });
});
