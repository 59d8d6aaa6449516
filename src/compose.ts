import { ensureDefaultHome, resolveJwtSecret, type DefaultHome } from './bootstrap.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import type { RedisAdapterHandle } from './realtime/redis-adapter.ts';
import { type CloseOptions, createServer, type RelayServer } from './server.ts';
import { startDemoDevices } from './simulator/demo.ts';
import { openStore, type Store } from './store/index.ts';

export interface Relay {
  readonly server: RelayServer;
  readonly store: Store;
  readonly defaultHome: DefaultHome;
  /** Listens, then connects the demo devices (DEMO_DEVICES) to the port it got; resolves with the port. */
  start(port: number, host?: string): Promise<number>;
  /** Demo devices, server (sockets, timers, features), Socket.IO adapter, store: in that order. */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * The one composition root: from a validated configuration to a relay ready to listen, with the
 * store the configuration names, the default home, the Socket.IO Redis adapter when on Redis, the
 * domain services and every feature (inside createServer). main.ts adds only the process: the
 * environment, the DATA_DIR lock, the banner and signals.
 */
export async function composeRelay(config: Config, clock: Clock, logger: Logger): Promise<Relay> {
  const jwtSecret = resolveJwtSecret(config);
  if (config.store === 'redis' && !config.jwtSecret) {
    // Allowed (one instance on Redis works), but a second instance would generate its own secret
    // and reject every token the first one signed.
    logger.warn('JWT_SECRET is unset: this instance uses a secret generated into DATA_DIR; set the same JWT_SECRET on every instance');
  }
  const store = await openStore(config, clock, logger);
  const defaultHome = await ensureDefaultHome(config, store, clock);
  if (defaultHome.note) logger.warn({ serial: defaultHome.serial }, defaultHome.note);
  // On Redis every instance must also share Socket.IO rooms: kiosk pushes, revocations and device
  // commands reach sockets held by any instance through the adapter.
  const redisTarget = config.store === 'redis' ? (await import('./store/redis-connection.ts')).redisTargetOf(config) : undefined;
  const redisAdapter: RedisAdapterHandle | undefined = redisTarget
    ? // Loaded only here, so a single-node relay never loads the Redis client.
      await (await import('./realtime/redis-adapter.ts')).createRedisAdapter({ ...redisTarget, keyPrefix: config.redisKeyPrefix, logger })
    : undefined;
  const server = createServer({ config, store, clock, logger, metrics: new Metrics(), jwtSecret }, redisAdapter ? { adapter: redisAdapter.adapter } : {});
  let simulator: Awaited<ReturnType<typeof startDemoDevices>>;

  return {
    server,
    store,
    defaultHome,
    async start(port, host) {
      const bound = await server.listen(port, host);
      simulator = await startDemoDevices(config, bound, defaultHome.serial, (serial, deviceId) => server.services.deviceKeys.issue(serial, deviceId), logger);
      return bound;
    },
    async close(options) {
      simulator?.stop();
      await server.close(options);
      await redisAdapter?.close();
      await store.close();
    },
  };
}
