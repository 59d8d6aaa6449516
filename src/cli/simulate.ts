import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { HUB_KEY_FILE } from '../secrets.ts';
import { startSimulator } from '../simulator/index.ts';

const usage = `Usage: relay simulate [--url URL] [--serial SERIAL] [--hub-key KEY]

Runs simulated devices (a light, a door lock, a thermostat, a plug) against a relay.
  --url       the relay (default $RELAY_URL, else http://127.0.0.1:$PORT, PORT default 3000)
  --serial    the home (default $HOME_SERIAL, else home-1)
  --hub-key   the home's hub key (default $HUB_KEY, else the key kept in $DATA_DIR/${HUB_KEY_FILE})
Stops on Ctrl-C.
`;

export interface SimulateIo {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Stops the simulation (tests); SIGINT and SIGTERM do the same. */
  signal?: AbortSignal;
}

/** `relay simulate`: resolves with the exit code once stopped or refused. */
export async function runSimulate(argv: string[], env: Record<string, string | undefined>, stdio: SimulateIo = {}): Promise<number> {
  const out = stdio.out ?? process.stdout;
  const err = stdio.err ?? process.stderr;
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: { url: { type: 'string' }, serial: { type: 'string' }, 'hub-key': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (e) {
    err.write(`${e instanceof Error ? e.message : String(e)}\n\n${usage}`);
    return 2;
  }
  if (args.help) {
    out.write(usage);
    return 0;
  }
  const url = args.url ?? env.RELAY_URL ?? `http://127.0.0.1:${env.PORT || '3000'}`;
  if (!/^https?:\/\/[^/]+/.test(url)) {
    err.write(`--url must be an http(s) URL, got "${url}"\n`);
    return 2;
  }
  const serial = args.serial ?? (env.HOME_SERIAL || 'home-1');
  const hubKey = args['hub-key'] ?? (env.HUB_KEY || keptHubKey(env.DATA_DIR || './data'));
  if (!hubKey) {
    err.write(`No hub key: pass --hub-key, set HUB_KEY, or run where DATA_DIR holds ${HUB_KEY_FILE}.\n`);
    return 2;
  }

  const logger = createLogger(env.LOG_LEVEL || 'info', out);
  return new Promise<number>((resolve) => {
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      stdio.signal?.removeEventListener('abort', onAbort);
      simulator.stop();
      resolve(code);
    };
    const onSignal = () => finish(0);
    const onAbort = () => finish(0);
    const simulator = startSimulator({
      url,
      serial,
      hubKey,
      logger,
      onRefused: (code) => {
        err.write(`The relay refused the devices: ${code}\n`);
        finish(1);
      },
    });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (stdio.signal?.aborted) return finish(0);
    stdio.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The key a relay generated into DATA_DIR, read only: the simulator never creates one. */
function keptHubKey(dataDir: string): string | undefined {
  const file = join(dataDir, HUB_KEY_FILE);
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').trim() || undefined;
}
