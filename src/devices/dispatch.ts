import type { Clock, Timer } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PubSub, Unsubscribe } from '../store/types.ts';
import type { DeviceLink } from './link.ts';
import { deviceReply, type DeviceReply } from './schemas.ts';
import type { DeviceCommand } from './types.ts';

/** Store pub/sub channel on which every instance hears that a device socket went away. */
const GONE_CHANNEL = 'devices:gone';

interface Gone {
  serial: string;
  deviceId: string;
  connectionId: string;
}

interface InFlight {
  connectionId: string;
  abort: () => void;
}

export type DispatchOutcome = { kind: 'reply'; reply: Extract<DeviceReply, { ok: true }> } | { kind: 'offline' };

/**
 * Sends one command and turns whatever happens into an answer: the device's reply, `offline`
 * (no socket, or its socket vanished mid-command) or an AppError. A socket that disconnects
 * announces it on the store's pub/sub, so the instance waiting for its ack stops waiting at
 * once instead of running into the timeout, wherever the socket was. The timeout is the injected
 * clock's (a test moves it to time a command out); the link's own real-time timeout, armed first
 * with the same length, stays as the transport's bound and still hands over partial replies.
 */
export class CommandDispatcher {
  private readonly inFlight = new Map<string, Set<InFlight>>();
  private unsubscribe: Unsubscribe | undefined;

  constructor(private readonly deps: { link: DeviceLink; pubsub: PubSub; clock: Clock; logger: Logger; timeoutMs: number }) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.deps.pubsub.subscribe(GONE_CHANNEL, (message) => this.onGone(message));
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const set of this.inFlight.values()) for (const entry of set) entry.abort();
    this.inFlight.clear();
  }

  /** A device socket went away: tell every instance, so commands waiting on it end now. */
  async announceGone(gone: Gone): Promise<void> {
    await this.deps.pubsub.publish(GONE_CHANNEL, JSON.stringify(gone));
  }

  /** `connectionId` is the socket the registry believes is current: only its departure aborts. */
  async send(serial: string, connectionId: string, command: DeviceCommand & { deviceId: string }): Promise<DispatchOutcome> {
    const { link, clock, timeoutMs } = this.deps;
    const key = flightKey(serial, command.deviceId);
    let abort = () => {};
    const aborted = new Promise<'gone'>((resolve) => (abort = () => resolve('gone')));
    let deadline: Timer | undefined;
    const entry: InFlight = { connectionId, abort };
    const set = this.inFlight.get(key) ?? new Set<InFlight>();
    set.add(entry);
    this.inFlight.set(key, set);
    try {
      const { deviceId, ...wire } = command;
      const sent = link.send(serial, deviceId, wire, timeoutMs, connectionId);
      const timedOut = new Promise<{ kind: 'timeout' }>((resolve) => (deadline = clock.setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs)));
      const result = await Promise.race([sent, aborted, timedOut]);
      if (result === 'gone') throw new AppError('device_offline', 'The device disconnected before answering.');
      if (result.kind === 'timeout') throw new AppError('device_timeout');
      if (result.replies.length === 0) return { kind: 'offline' };
      return { kind: 'reply', reply: this.interpret(result.replies[0], serial, deviceId) };
    } finally {
      deadline?.cancel();
      set.delete(entry);
      if (set.size === 0) this.inFlight.delete(key);
    }
  }

  private interpret(raw: unknown, serial: string, deviceId: string): Extract<DeviceReply, { ok: true }> {
    const parsed = deviceReply.safeParse(raw);
    if (!parsed.success) {
      this.deps.logger.warn({ serial, deviceId }, 'device sent an unreadable command reply');
      throw new AppError('command_rejected', 'The device sent an unreadable reply.', { reason: 'bad_reply' });
    }
    const reply = parsed.data;
    if (!reply.ok) {
      throw new AppError('command_rejected', reply.error.message || 'The device rejected the command.', { reason: reply.error.code });
    }
    return reply;
  }

  private onGone(message: string): void {
    let gone: Gone;
    try {
      gone = JSON.parse(message) as Gone;
    } catch {
      return;
    }
    const set = this.inFlight.get(flightKey(gone.serial, gone.deviceId));
    if (!set) return;
    for (const entry of set) if (entry.connectionId === gone.connectionId) entry.abort();
  }
}

const flightKey = (serial: string, deviceId: string) => `${serial}\u0000${deviceId}`;
