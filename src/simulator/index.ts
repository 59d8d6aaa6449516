import { createLogger } from '../logger.ts';
import { type DeviceCredential, type SimulatorLogger, startAgent } from './agent.ts';
import type { SimulatedDevice } from './model.ts';
import { Light } from './models/light.ts';
import { DoorLock } from './models/lock.ts';
import { Plug } from './models/plug.ts';
import { Thermostat } from './models/thermostat.ts';

export interface SimulatorOptions {
  /** The relay's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  serial: string;
  /** Each device's own key, by deviceId (enrolled); a device without one uses `hubKey`. */
  deviceKeys?: Readonly<Record<string, string>>;
  hubKey?: string;
  logger?: SimulatorLogger;
  /** How often thermostat and plug readings move (default 10 s). */
  tickMs?: number;
  /** The devices to run; defaults to a light, a door lock, a thermostat and a plug. */
  devices?: SimulatedDevice[];
  /** The relay refused a device for good (wrong key, unknown home). */
  onRefused?: (code: string) => void;
}

export interface Simulator {
  readonly devices: readonly SimulatedDevice[];
  stop(): void;
}

export const demoDevices = (): SimulatedDevice[] => [new Light(), new DoorLock(), new Thermostat(), new Plug()];

/** Starts simulated devices, each a real socket.io client of the relay's `/device` namespace. */
export function startSimulator(options: SimulatorOptions): Simulator {
  const logger = options.logger ?? createLogger('silent');
  const devices = options.devices ?? demoDevices();
  let refused = false;
  const credentialOf = (id: string): DeviceCredential => {
    const deviceKey = options.deviceKeys?.[id];
    if (deviceKey) return { deviceKey };
    if (options.hubKey) return { hubKey: options.hubKey };
    throw new Error(`simulated device "${id}" has neither a device key nor a hub key`);
  };
  const agents = devices.map((device) =>
    startAgent({
      url: options.url,
      serial: options.serial,
      credential: credentialOf(device.id),
      device,
      logger,
      tickMs: options.tickMs ?? 10_000,
      // One refusal (a wrong key, a removed home) speaks for all: report it once.
      onRefused: (code) => {
        if (refused) return;
        refused = true;
        options.onRefused?.(code);
      },
    }),
  );
  logger.info({ serial: options.serial, devices: devices.map((d) => d.id) }, 'simulated devices started');
  return {
    devices,
    stop() {
      for (const agent of agents) agent.stop();
    },
  };
}
