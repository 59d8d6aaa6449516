import { startupBanner } from './banner.ts';
import { ensureDefaultHome, resolveJwtSecret } from './bootstrap.ts';
import { systemClock } from './clock.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { type DataDirLock, DataDirInUseError, lockDataDir } from './data-dir-lock.ts';
import { createLogger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { loadEnvFile } from './paths.ts';
import type { RedisAdapterHandle } from './realtime/redis-adapter.ts';
import { createServer } from './server.ts';
import { startDemoDevices } from './simulator/demo.ts';
import { openStore } from './store/index.ts';

const SHUTDOWN_DEADLINE_MS = 5000;

async function main(): Promise<void> {
  loadEnvFile();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // One server per SQLite DATA_DIR (the CLI takes no lock); taken before anything is read or written there.
  let dataDirLock: DataDirLock | undefined;
  if (config.store === 'sqlite') {
    try {
      dataDirLock = lockDataDir(config.dataDir);
    } catch (err) {
      if (err instanceof DataDirInUseError) {
        console.error(err.message);
        process.exit(75); // EX_TEMPFAIL: another server holds it
      }
      throw err;
    }
  }
  const logger = createLogger(config.logLevel);
  const clock = systemClock;
  const jwtSecret = resolveJwtSecret(config);
  if (config.store === 'redis' && !config.jwtSecret) {
    // Allowed (one instance on Redis works), but a second instance would generate its own secret
    // and reject every token the first one signed.
    logger.warn('JWT_SECRET is unset: this instance uses a secret generated into DATA_DIR; set the same JWT_SECRET on every instance');
  }
  const store = await openStore(config, clock, logger);
  const defaultHome = await ensureDefaultHome(config, store, clock);
  // On Redis every instance must also share Socket.IO rooms: kiosk pushes, revocations and device
  // commands reach sockets held by any instance through the adapter.
  const redisTarget = config.store === 'redis' ? (await import('./store/redis-connection.ts')).redisTargetOf(config) : undefined;
  const redisAdapter: RedisAdapterHandle | undefined = redisTarget
    ? // Loaded only here, so a single-node relay never loads the Redis client.
      await (await import('./realtime/redis-adapter.ts')).createRedisAdapter({ ...redisTarget, keyPrefix: config.redisKeyPrefix, logger })
    : undefined;
  const server = createServer(
    { config, store, clock, logger, metrics: new Metrics(), jwtSecret },
    redisAdapter ? { adapter: redisAdapter.adapter } : {},
  );
  const port = await server.listen(config.port, config.host);

  logger.info({ port, store: store.kind, serial: defaultHome.serial }, 'home-relay listening');
  process.stdout.write(startupBanner(config, port, defaultHome, process.stdout.isTTY === true));

  const simulator = await startDemoDevices(config, port, defaultHome.serial, (serial, deviceId) => server.services.deviceKeys.issue(serial, deviceId), logger);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 5 s; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    simulator?.stop();
    server
      .close()
      .then(() => redisAdapter?.close())
      .then(() => store.close())
      .then(() => dataDirLock?.release())
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

void main().catch((err: unknown) => {
  console.error('home-relay failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
