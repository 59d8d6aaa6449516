import { systemClock } from '../clock.ts';
import { mqttDriverNames } from '../config.ts';
import { brokerUrlSchema, BridgeSettingsStore, redactUrl } from '../bridges/mqtt/settings.ts';
import { type CliIo, withStore } from './homes.ts';
import { splitList } from '../text-list.ts';

type Env = Record<string, string | undefined>;

export const bridgesUsage = `  bridges add <serial> <mqtt-url> [--drivers ${mqttDriverNames.join(',')}] [--username U]
                               bridge a home's MQTT broker (password: MQTT_PASSWORD in the environment, never an argument)
  bridges list                 list bridges (passwords are never shown)
  bridges remove <serial>      stop bridging a home's broker`;

/** `relay bridges …`: per-home MQTT bridge settings in the store; running relays follow within seconds. */
export function bridgesCommand(args: string[], env: Env, io: CliIo): Promise<number> {
  const [sub, serial, url, ...rest] = args;
  if (!['add', 'list', 'remove'].includes(sub ?? '')) {
    io.err(`Unknown bridges command "${sub ?? ''}".\n\n${bridgesUsage}`);
    return Promise.resolve(64);
  }
  return withStore(env, async (store, config) => {
    const bridges = new BridgeSettingsStore({ store, clock: systemClock, config });
    if (sub === 'list') {
      const all = await bridges.list();
      if (all.length === 0) io.out('(no bridges)');
      for (const b of all) {
        const who = b.username ? ` user ${b.username}` : '';
        io.out(`${b.serial}\t${b.url}\tdrivers ${b.drivers.join(',')}${who}\tpassword ${b.hasPassword ? 'set' : 'none'}${b.origin === 'env' ? '\t(from MQTT_URL)' : ''}`);
      }
      return 0;
    }
    if (!serial) return usage(io, `relay bridges ${sub} needs a serial.`);
    if (!(await store.getHome(serial))) {
      io.err(`No home with serial "${serial}".`);
      return 1;
    }
    if (sub === 'remove') {
      if (!(await bridges.remove(serial))) {
        io.err(serial === config.homeSerial && config.mqtt.url ? `The bridge of "${serial}" comes from MQTT_URL; unset it there.` : `No bridge for "${serial}".`);
        return 1;
      }
      io.out(`Removed the bridge of "${serial}"; its MQTT devices go offline within seconds.`);
      return 0;
    }
    const options = parseOptions(rest);
    if (typeof options === 'string') return usage(io, options);
    if (!url || !brokerUrlSchema.safeParse(url).success) return usage(io, 'relay bridges add needs an mqtt://, mqtts://, ws:// or wss:// URL.');
    const drivers = options.drivers ?? [...mqttDriverNames];
    const unknown = drivers.filter((d) => !(mqttDriverNames as readonly string[]).includes(d));
    if (unknown.length > 0) return usage(io, `Unknown driver(s) ${unknown.join(', ')}; choose from ${mqttDriverNames.join(', ')}.`);
    const password = env.MQTT_PASSWORD || undefined;
    await bridges.put(serial, {
      url,
      drivers: drivers as (typeof mqttDriverNames)[number][],
      ...(options.username ? { username: options.username } : {}),
      ...(password ? { password } : {}),
    });
    io.out(`Bridging "${serial}" to ${redactUrl(url)} (${drivers.join(', ')})${password ? ', with a password' : ''}; running relays pick it up within seconds.`);
    return 0;
  });
}

function parseOptions(rest: string[]): { drivers?: string[]; username?: string } | string {
  const out: { drivers?: string[]; username?: string } = {};
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined || value.startsWith('--')) return `${flag} needs a value.`;
    if (flag === '--drivers') out.drivers = splitList(value);
    else if (flag === '--username') out.username = value;
    else if (flag === '--password') return 'Passwords are never arguments (they would show in ps and shell history): set MQTT_PASSWORD.';
    else return `Unknown option ${flag}.`;
  }
  return out;
}

function usage(io: CliIo, message: string): number {
  io.err(message);
  return 64;
}
