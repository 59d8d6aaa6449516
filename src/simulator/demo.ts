import type { DefaultHome } from '../bootstrap.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { type Simulator, startSimulator } from './index.ts';

/**
 * DEMO_DEVICES: simulated devices connect to this relay over its real socket path, so a fresh
 * install has something to switch. They need the default home's key, which is unknown once rotated.
 */
export function startDemoDevices(
  config: Pick<Config, 'demoDevices' | 'hubKey' | 'host'>,
  port: number,
  home: Pick<DefaultHome, 'serial' | 'printableKey'>,
  logger: Logger,
): Simulator | undefined {
  if (!config.demoDevices) return undefined;
  const hubKey = config.hubKey ?? home.printableKey;
  if (!hubKey) {
    logger.warn({ serial: home.serial }, 'demo devices skipped: the default home’s hub key is not known here (rotated?)');
    return undefined;
  }
  return startSimulator({
    url: `http://${loopbackFor(config.host)}:${port}`,
    serial: home.serial,
    hubKey,
    logger: logger.child({ component: 'simulator' }),
    onRefused: (code) => logger.warn({ code }, 'demo devices refused by the relay'),
  });
}

/** A wildcard bind is reachable on loopback; a specific address is where we must knock. */
function loopbackFor(host: string): string {
  if (['0.0.0.0', '::', ''].includes(host)) return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
