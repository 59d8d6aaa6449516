import { bridgesCommand, bridgesUsage } from './cli/bridges.ts';
import { backupCommand, backupUsage } from './cli/backup.ts';
import { type CliIo, devicesCommand, homesCommand, homesUsage } from './cli/homes.ts';
import { auditCommand, auditUsage } from './cli/audit.ts';
import { ConfigError } from './config.ts';
import { AppError } from './errors.ts';

const usage = `Usage: relay <command>

  start                        start the relay (same as npm start)
${homesUsage}
${bridgesUsage}
${auditUsage}
${backupUsage}
  simulate [--url U] [--serial S] [--hub-key K]
                               connect simulated devices to a relay

Homes, devices, bridges, audit and backup act on the store the environment configures (STORE, DATA_DIR,
REDIS_URL; .env beside package.json; a relative DATA_DIR is taken from the package root, wherever relay runs).`;

export type { CliIo };

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    io.out(usage);
    return command ? 0 : 64;
  }
  try {
    if (command === 'start') {
      await import('./main.ts');
      return -1; // keeps running; main owns the process from here
    }
    if (command === 'simulate') {
      const { runSimulate } = await import('./cli/simulate.ts');
      return await runSimulate(argv.slice(1), env);
    }
    if (command === 'homes') return await homesCommand(argv.slice(1), env, io);
    if (command === 'devices') return await devicesCommand(argv.slice(1), env, io);
    if (command === 'bridges') return await bridgesCommand(argv.slice(1), env, io);
    if (command === 'audit') return await auditCommand(argv.slice(1), env, io);
    if (command === 'backup') return await backupCommand(argv.slice(1), env, io);
    io.err(`Unknown command "${command}".\n\n${usage}`);
    return 64;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof AppError) {
      io.err(err.message);
      return err instanceof ConfigError ? 78 : 1;
    }
    throw err;
  }
}
