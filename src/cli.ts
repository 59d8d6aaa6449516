import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { AppError } from './errors.ts';
import { HomeService } from './homes/service.ts';
import { HUB_KEY_FILE, writeSecret } from './secrets.ts';
import { openStore } from './store/index.ts';

const usage = `Usage: relay <command>

  start                        start the relay (same as npm start)
  homes add <serial>           create a home and print its new hub key
  homes list                   list homes
  homes rotate-key <serial>    give a home a new hub key (printed once); its kiosks must reconnect with it
  homes remove <serial>        remove a home
  simulate [--url U] [--serial S] [--hub-key K]
                               connect simulated devices to a relay

Homes commands act on the store the environment configures (STORE, DATA_DIR, REDIS_URL).`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const [command, sub, arg] = argv;
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
    if (command === 'homes') return await homesCommand(sub, arg, env, io);
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

async function homesCommand(sub: string | undefined, serial: string | undefined, env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  const config = loadConfig(env);
  const store = await openStore(config, systemClock);
  const homes = new HomeService({ store, clock: systemClock });
  try {
    switch (sub) {
      case 'list': {
        const all = await homes.list();
        if (all.length === 0) io.out('(no homes)');
        for (const home of all) io.out(`${home.serial}\tcreated ${home.createdAt}`);
        return 0;
      }
      case 'add':
      case 'rotate-key': {
        if (!serial) return missingSerial(sub, io);
        const hubKey = sub === 'add' ? await homes.add(serial) : await homes.rotateKey(serial);
        // The default home's generated key lives in DATA_DIR; keep it in step so the start banner stays right.
        if (serial === config.homeSerial && !config.hubKey) writeSecret(config.dataDir, HUB_KEY_FILE, hubKey);
        io.out(`${sub === 'add' ? 'Created' : 'Rotated'} home "${serial}". Hub key (shown once, keep it safe):`);
        io.out(hubKey);
        return 0;
      }
      case 'remove': {
        if (!serial) return missingSerial(sub, io);
        if (!(await homes.remove(serial))) {
          io.err(`No home with serial "${serial}".`);
          return 1;
        }
        io.out(`Removed home "${serial}".`);
        return 0;
      }
      default:
        io.err(`Unknown homes command "${sub ?? ''}".\n\n${usage}`);
        return 64;
    }
  } finally {
    await store.close();
  }
}

function missingSerial(sub: string, io: CliIo): number {
  io.err(`relay homes ${sub} needs a serial.`);
  return 64;
}
