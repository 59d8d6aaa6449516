import { startupBanner } from './banner.ts';
import { systemClock } from './clock.ts';
import { composeRelay } from './compose.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { type DataDirLock, DataDirInUseError, lockDataDir } from './data-dir-lock.ts';
import { createLogger } from './logger.ts';
import { loadEnvFile } from './paths.ts';

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
  const relay = await composeRelay(config, systemClock, logger);
  const port = await relay.start(config.port, config.host);
  logger.info({ port, store: relay.store.kind, serial: relay.defaultHome.serial }, 'home-relay listening');
  process.stdout.write(startupBanner(config, port, relay.defaultHome, process.stdout.isTTY === true));

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
    relay
      // process.exit() follows: the kernel closes the connections, faster than one by one.
      .close({ processExiting: true })
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
