import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { demoDevices, type Simulator, startSimulator } from './index.ts';

/**
 * DEMO_DEVICES: simulated devices connect to this relay over its real socket path, so a fresh
 * install has something to switch. The relay issues their device keys in process at start (one
 * key per deviceId, replacing the last start's), so they need no hub key and survive rotations.
 */
export async function startDemoDevices(
  config: Pick<Config, 'demoDevices' | 'host'>,
  port: number,
  serial: string,
  issueKey: (serial: string, deviceId: string) => Promise<string>,
  logger: Logger,
): Promise<Simulator | undefined> {
  if (!config.demoDevices) return undefined;
  const devices = demoDevices();
  const deviceKeys: Record<string, string> = {};
  try {
    for (const device of devices) deviceKeys[device.id] = await issueKey(serial, device.id);
  } catch (err) {
    logger.warn({ err, serial }, 'demo devices skipped: their device keys could not be issued');
    return undefined;
  }
  return startSimulator({
    url: `http://${loopbackFor(config.host)}:${port}`,
    serial,
    devices,
    deviceKeys,
    logger: logger.child({ component: 'simulator' }),
    onRefused: (code) => logger.warn({ code }, 'demo devices refused by the relay'),
  });
}

/** A wildcard bind is reachable on loopback; a specific address is where we must knock. */
function loopbackFor(host: string): string {
  if (['0.0.0.0', '::', ''].includes(host)) return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
