import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../logger.ts';
import { resolveDataDir } from '../paths.ts';
import { HUB_KEY_FILE, readSecret } from '../secrets.ts';
import { EnrolRefused, enrolDevices } from '../simulator/enrol.ts';
import { demoDevices, startSimulator } from '../simulator/index.ts';

const DEVICE_KEYS_FILE = 'simulator-device-keys.json';

const usage = `Usage: relay simulate [--url URL] [--serial SERIAL] [--hub-key KEY] [--device-keys FILE]

Runs simulated devices (a light, a door lock, a thermostat, a plug) against a relay. Each device
uses its own device key: read from the keys file, or, the first time, enrolled through /kiosk
with the hub key (device:enroll) and saved there.
  --url          the relay (default $RELAY_URL, else http://127.0.0.1:$PORT, PORT default 3000)
  --serial       the home (default $HOME_SERIAL, else home-1)
  --hub-key      the home's hub key, to enrol (default $HUB_KEY, else the key kept in $DATA_DIR/${HUB_KEY_FILE})
  --device-keys  the keys file (default $DATA_DIR/${DEVICE_KEYS_FILE}); delete it to enrol again
Stops on Ctrl-C.
`;

export interface SimulateIo {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Stops the simulation (tests); SIGINT and SIGTERM do the same. */
  signal?: AbortSignal;
}

const parseSimulateArgs = (argv: string[]) =>
  parseArgs({
    args: argv,
    options: {
      url: { type: 'string' },
      serial: { type: 'string' },
      'hub-key': { type: 'string' },
      'device-keys': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values;

/** `relay simulate`: resolves with the exit code once stopped or refused. */
export async function runSimulate(argv: string[], env: Record<string, string | undefined>, stdio: SimulateIo = {}): Promise<number> {
  const out = stdio.out ?? process.stdout;
  const err = stdio.err ?? process.stderr;
  let args: ReturnType<typeof parseSimulateArgs>;
  try {
    args = parseSimulateArgs(argv);
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
  const dataDir = resolveDataDir(env.DATA_DIR || './data');
  const keysFile = args['device-keys'] ?? join(dataDir, DEVICE_KEYS_FILE);
  const devices = demoDevices();
  let deviceKeys = readKeys(keysFile, serial);
  if (!devices.every((d) => deviceKeys[d.id])) {
    const hubKey = args['hub-key'] ?? (env.HUB_KEY || readSecret(dataDir, HUB_KEY_FILE));
    if (!hubKey) {
      err.write(`No device keys in ${keysFile} and no hub key to enrol with: pass --hub-key, set HUB_KEY, or run where DATA_DIR holds ${HUB_KEY_FILE}.\n`);
      return 2;
    }
    try {
      deviceKeys = await enrolDevices({ url, serial, hubKey, deviceIds: devices.map((d) => d.id) });
    } catch (e) {
      const code = e instanceof EnrolRefused ? e.code : e instanceof Error ? e.message : String(e);
      const hint = code === 'device_enrolled' ? ` (the devices have keys already: "relay devices add" issues new ones; put them in ${keysFile})` : '';
      err.write(`The relay refused the devices: ${code}${hint}\n`);
      return 1;
    }
    saveKeys(keysFile, serial, deviceKeys);
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
      devices,
      deviceKeys,
      logger,
      onRefused: (code) => {
        err.write(`The relay refused the devices: ${code}${code === 'invalid_device_key' ? ` (delete ${keysFile} to enrol again)` : ''}\n`);
        finish(1);
      },
    });
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (stdio.signal?.aborted) return finish(0);
    stdio.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Saved device keys, per home: `{ "<serial>": { "<deviceId>": "<key>" } }`. */
function readKeys(file: string, serial: string): Record<string, string> {
  if (!existsSync(file)) return {};
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[serial] ?? {};
  } catch {
    return {};
  }
}

function saveKeys(file: string, serial: string, keys: Record<string, string>): void {
  let all: Record<string, Record<string, string>> = {};
  try {
    if (existsSync(file)) all = JSON.parse(readFileSync(file, 'utf8')) as typeof all;
  } catch {
    // An unreadable file is replaced: the keys in it are unusable anyway.
  }
  mkdirSync(dirname(file), { recursive: true });
  // Device keys are secrets: readable by the owner only.
  writeFileSync(file, `${JSON.stringify({ ...all, [serial]: keys }, null, 2)}\n`, { mode: 0o600 });
}
