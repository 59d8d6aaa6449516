import { systemClock } from '../clock.ts';
import { recordByCli } from './audit.ts';
import type { Config } from '../config.ts';
import { loadConfig } from '../config.ts';
import { DeviceKeyService, hubKeyMatches, presented } from '../credentials/device-keys.ts';
import { HomeService } from '../homes/service.ts';
import { HUB_KEY_FILE, readSecret, writeSecret } from '../secrets.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/types.ts';
import type { CliIo } from './io.ts';

export type { CliIo };

type Env = Record<string, string | undefined>;

export const homesUsage = `  homes add <serial>           create a home and print its new hub key
  homes list                   list homes
  homes show-key <serial>      print the default home's hub key kept in DATA_DIR (other keys exist only as hashes)
  homes rotate-key <serial>    give a home a new hub key (printed once); kiosks and devices on the old key are disconnected
  homes set <serial> --device-auth keys|hub-key
                               keys: the hub key no longer opens /device; every device needs its own key
  homes remove <serial>        remove a home: revokes its grants, forgets its devices and keys, disconnects it
  devices add <serial> <deviceId>
                               issue a device key bound to one deviceId (printed once)`;

/** Opens the configured store for one command and closes it after. */
export async function withStore(env: Env, work: (store: Store, config: Config) => Promise<number>): Promise<number> {
  const config = loadConfig(env);
  const store = await openStore(config, systemClock);
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}

export function homesCommand(args: string[], env: Env, io: CliIo): Promise<number> {
  const [sub, serial, ...rest] = args;
  return withStore(env, async (store, config) => {
    const homes = new HomeService({ store, clock: systemClock });
    if (sub === 'list') {
      const all = await homes.list();
      if (all.length === 0) io.out('(no homes)');
      for (const home of all) io.out(`${home.serial}\tcreated ${home.createdAt}\tdevice auth: ${home.deviceAuth}`);
      return 0;
    }
    if (!['add', 'rotate-key', 'remove', 'set', 'show-key'].includes(sub ?? '')) {
      io.err(`Unknown homes command "${sub ?? ''}".\n\n${homesUsage}`);
      return 64;
    }
    if (!serial) return usageError(io, `relay homes ${sub} needs a serial.`);
    switch (sub) {
      case 'add':
      case 'rotate-key': {
        const hubKey = sub === 'add' ? await homes.add(serial) : await homes.rotateKey(serial);
        // The default home's generated key lives in DATA_DIR; keep it in step so show-key and the banner stay right.
        if (serial === config.homeSerial && !config.hubKey) writeSecret(config.dataDir, HUB_KEY_FILE, hubKey);
        await recordByCli(store, config, serial, { event: sub === 'add' ? 'home.added' : 'home.key_rotated', outcome: 'ok' });
        io.out(`${sub === 'add' ? 'Created' : 'Rotated'} home "${serial}". Hub key (shown once, keep it safe):`);
        io.out(hubKey);
        // The relay keeps this key over the HUB_KEY it replaced, but the environment should say so too.
        if (sub === 'rotate-key' && serial === config.homeSerial && config.hubKey) io.err('Note: HUB_KEY is set to the old key. The relay keeps the new key on restart; set HUB_KEY to it (or remove HUB_KEY).');
        return 0;
      }
      case 'remove': {
        const forgotten = await homes.remove(serial);
        if (!forgotten) return notFound(io, serial);
        await recordByCli(store, config, serial, { event: 'home.removed', outcome: 'ok' });
        io.out(
          `Removed home "${serial}": ${forgotten.grants} grant(s) revoked, ${forgotten.devices} device(s) and ${forgotten.deviceKeys} device key(s) forgotten.`,
        );
        return 0;
      }
      case 'set': {
        const mode = rest[0] === '--device-auth' ? rest[1] : undefined;
        if (mode !== 'keys' && mode !== 'hub-key') return usageError(io, 'Usage: relay homes set <serial> --device-auth keys|hub-key');
        await homes.setDeviceAuth(serial, mode);
        await recordByCli(store, config, serial, { event: 'home.device_auth', action: mode, outcome: 'ok' });
        io.out(mode === 'keys' ? `Home "${serial}": devices need their own keys now; devices on the hub key are disconnected.` : `Home "${serial}": the hub key opens /device again for devices without their own key.`);
        return 0;
      }
      default:
        return showKey(store, config, serial, io);
    }
  });
}

/**
 * Only hashes of hub keys are stored, so the one key that can be shown again is the default
 * home's generated key, kept in DATA_DIR (or HUB_KEY), and only while it is still the home's key.
 */
async function showKey(store: Store, config: Config, serial: string, io: CliIo): Promise<number> {
  const home = await store.getHome(serial);
  if (!home) return notFound(io, serial);
  const kept = serial === config.homeSerial ? (config.hubKey ?? readSecret(config.dataDir, HUB_KEY_FILE)) : undefined;
  if (kept && hubKeyMatches(home, presented('hub-key', kept).hash)) {
    io.out(kept);
    return 0;
  }
  io.err(
    `The hub key of "${serial}" cannot be shown: only its hash is stored` +
      (serial === config.homeSerial ? ` (the key in DATA_DIR no longer matches it).` : ' (it was printed once, when made).') +
      `\nRun "relay homes rotate-key ${serial}" for a new key; kiosks and devices on the old key are disconnected.`,
  );
  return 1;
}

export function devicesCommand(args: string[], env: Env, io: CliIo): Promise<number> {
  const [sub, serial, deviceId] = args;
  if (sub !== 'add') {
    io.err(`Unknown devices command "${sub ?? ''}".\n\n${homesUsage}`);
    return Promise.resolve(64);
  }
  if (!serial || !deviceId) return Promise.resolve(usageError(io, 'Usage: relay devices add <serial> <deviceId>'));
  return withStore(env, async (store, config) => {
    const deviceKey = await new DeviceKeyService({ store, clock: systemClock }).issue(serial, deviceId);
    await recordByCli(store, config, serial, { event: 'device.enrolled', target: deviceId, outcome: 'ok' });
    io.out(`Device key for "${deviceId}" in "${serial}" (shown once; the device sends it as auth.deviceKey):`);
    io.out(deviceKey);
    return 0;
  });
}

function usageError(io: CliIo, message: string): number {
  io.err(message);
  return 64;
}

function notFound(io: CliIo, serial: string): number {
  io.err(`No home with serial "${serial}".`);
  return 1;
}
