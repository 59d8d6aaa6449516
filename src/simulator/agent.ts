import { io, type Socket } from 'socket.io-client';
import { z } from 'zod';
import type { Logger } from '../logger.ts';
import type { Reply, SimulatedDevice } from './model.ts';

export type SimulatorLogger = Pick<Logger, 'info' | 'warn' | 'debug'>;

const commandMessage = z.object({
  commandId: z.string(),
  action: z.string(),
  params: z.record(z.string(), z.unknown()).default({}),
});

/** Handshake refusals that retrying cannot fix. */
const FATAL = new Set(['home_not_found', 'invalid_hub_key', 'invalid_device_key', 'invalid_request']);

/** How a device proves itself: its own key (enrolled), or the home's hub key. */
export type DeviceCredential = { deviceKey: string } | { hubKey: string };

export interface AgentOptions {
  url: string;
  serial: string;
  credential: DeviceCredential;
  device: SimulatedDevice;
  logger: SimulatorLogger;
  tickMs: number;
  /** The relay refused the handshake for good (wrong key, unknown home). */
  onRefused?: (code: string) => void;
}

/**
 * One simulated device as a real `/device` client, exactly as a device agent on the LAN would
 * be: its own key (or the hub key) in the handshake, commands answered by ack, unsolicited state changes sent as `state`.
 */
export function startAgent({ url, serial, credential, device, logger, tickMs, onRefused }: AgentOptions): { stop(): void } {
  const socket: Socket = io(`${url.replace(/\/$/, '')}/device`, {
    // A function, so a reconnect announces the current state rather than the one at start.
    auth: (cb) => cb({ serial, ...credential, deviceId: device.id, name: device.name, type: device.type, actions: [...device.actions], state: device.state() }),
    transports: ['websocket'],
    reconnectionDelayMax: 10_000,
  });
  const log = { serial, deviceId: device.id };

  socket.on('connect', () => logger.debug(log, 'simulated device connected'));
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    const code = err.data?.code ?? err.message;
    if (FATAL.has(code)) {
      logger.warn({ ...log, code }, 'relay refused the simulated device');
      socket.close();
      onRefused?.(code);
    } else logger.debug({ ...log, err: err.message }, 'simulated device cannot reach the relay; retrying');
  });
  socket.on('disconnect', (reason) => {
    // "io server disconnect" means another agent took over this deviceId; do not fight it.
    if (reason === 'io server disconnect') logger.info(log, 'simulated device was replaced by another connection');
  });

  socket.on('command', (raw: unknown, ack?: (reply: Reply) => void) => {
    const command = commandMessage.safeParse(raw);
    const reply: Reply = command.success
      ? device.handle(command.data.action, command.data.params)
      : { ok: false, error: { code: 'bad_command', message: 'The command could not be read.' } };
    logger.debug({ ...log, action: command.data?.action, ok: reply.ok }, 'simulated device handled a command');
    ack?.(reply);
  });

  const timer = setInterval(() => {
    if (device.tick?.() && socket.connected) socket.emit('state', { state: device.state() });
  }, tickMs);
  timer.unref();

  return {
    stop() {
      clearInterval(timer);
      socket.close();
    },
  };
}
