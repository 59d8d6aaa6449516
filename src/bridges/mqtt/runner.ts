import mqtt, { type MqttClient } from 'mqtt';
import { randomId } from '../../crypto.ts';
import type { LinkResult } from '../../devices/link.ts';
import { stateSchema } from '../../devices/schemas.ts';
import type { DeviceCommand, DeviceState } from '../../devices/types.ts';
import type { Logger } from '../../logger.ts';
import type { Ack, BridgedDevice, DriverUpdate, MqttDriver } from './driver.ts';
import type { BridgeSettings } from './settings.ts';
import { type BridgeDeviceSink, bridgeConnectionId } from './sink.ts';

export type BridgeState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface RunnerDeps {
  serial: string;
  settings: BridgeSettings;
  drivers: MqttDriver[];
  sink: BridgeDeviceSink;
  logger: Logger;
  instanceId: string;
  /** Reconnect backoff: first wait, doubled per failure up to the cap. */
  backoff?: { initialMs: number; maxMs: number };
  onState?: (state: BridgeState) => void;
}

interface Tracked {
  driver: MqttDriver;
  device: BridgedDevice;
  state: DeviceState;
  online: boolean;
  /** Told to DeviceService as connected under the current connection id. */
  announced: boolean;
}

interface Pending {
  ack: (topic: string, payload: string) => Ack | undefined;
  deviceId: string;
  /** `gone`: the device or the broker went away mid-command (409, as a vanished socket gives). */
  settle: (outcome: Ack | 'gone') => void;
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000 };
/** As many devices as a home may register over sockets (MAX_DEVICES_PER_HOME's default): a flooded inventory stops here. */
const MAX_BRIDGED_DEVICES = 256;

/**
 * One home's broker connection: subscribes for every enabled driver, turns their updates into
 * the device presence and state calls a socket device's handlers make, and carries commands
 * (publish, then wait for the driver's acknowledgement). Losing the broker takes every bridged
 * device offline (409 `device_offline`); the retained inventory brings them back on reconnect.
 */
export class BridgeRunner {
  private client: MqttClient | undefined;
  private readonly devices = new Map<string, Tracked>();
  private readonly pending = new Set<Pending>();
  private connectionId: string;
  private state: BridgeState = 'stopped';
  /** Device presence calls run one after another so the registry sees them in broker order. */
  private chain: Promise<void> = Promise.resolve();
  /** Topics drivers asked for at run time, subscribed again on every reconnect. */
  private readonly learnt = new Set<string>();

  constructor(private readonly deps: RunnerDeps) {
    this.connectionId = bridgeConnectionId(deps.instanceId, randomId(6));
  }

  get status(): BridgeState {
    return this.state;
  }

  get deviceCount(): number {
    return [...this.devices.values()].filter((t) => t.announced).length;
  }

  start(): void {
    const { settings, logger, serial } = this.deps;
    const backoff = this.deps.backoff ?? DEFAULT_BACKOFF;
    this.setState('connecting');
    const client = mqtt.connect(settings.url, {
      clientId: `home-relay-${randomId(8)}`,
      clean: true,
      reconnectPeriod: backoff.initialMs,
      connectTimeout: 10_000,
      // A refused login (password changed at the broker) is retried with backoff too, not given up on.
      reconnectOnConnackError: true,
      ...(settings.username ? { username: settings.username } : {}),
      ...(settings.password ? { password: settings.password } : {}),
    });
    this.client = client;
    client.on('connect', () => {
      client.options.reconnectPeriod = backoff.initialMs;
      // Commands are small writes awaiting an answer: Nagle would hold each for the peer's delayed ACK (~40 ms).
      (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      const topics = [...new Set([...this.deps.drivers.flatMap((d) => d.subscriptions), ...this.learnt])];
      client.subscribe(topics, { qos: 0 }, (err) => {
        if (err) logger.warn({ serial, err: err.message }, 'mqtt subscribe failed');
      });
      logger.info({ serial, drivers: this.deps.drivers.map((d) => d.name) }, 'mqtt bridge connected');
      this.setState('connected');
    });
    client.on('close', () => {
      if (this.state === 'stopped') return;
      client.options.reconnectPeriod = Math.min((client.options.reconnectPeriod ?? backoff.initialMs) * 2, backoff.maxMs);
      if (this.state === 'connected') logger.warn({ serial }, 'mqtt bridge lost its broker; bridged devices offline');
      this.setState('disconnected');
      this.brokerLost();
    });
    // Connection errors carry no secret (the URL in settings may; it is never logged with credentials).
    client.on('error', (err) => logger.debug({ serial, err: err.message }, 'mqtt client error'));
    client.on('message', (topic, payload) => this.onMessage(topic, payload.toString('utf8')));
  }

  async stop(): Promise<void> {
    this.setState('stopped');
    this.brokerLost();
    await this.chain;
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
  }

  /** A command for one of this home's bridged devices (the DeviceLink's answer shape). */
  async command(deviceId: string, command: DeviceCommand, timeoutMs: number): Promise<LinkResult> {
    const tracked = this.devices.get(deviceId);
    const client = this.client;
    if (!tracked?.announced || !tracked.online || !client || this.state !== 'connected') return { kind: 'replies', replies: [] };
    const plan = tracked.driver.command(tracked.device, command.action, command.params);
    if (!('publish' in plan)) return { kind: 'replies', replies: [plan] };
    const outcome = await new Promise<Ack | 'gone' | 'timeout'>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(entry);
        resolve('timeout');
      }, timeoutMs);
      const entry: Pending = {
        ack: plan.ack,
        deviceId,
        settle: (result) => {
          clearTimeout(timer);
          this.pending.delete(entry);
          resolve(result);
        },
      };
      this.pending.add(entry);
      // Commands are never retained: a broker must not replay a stale "unlock" to a device later.
      for (const message of plan.publish) client.publish(message.topic, message.payload, { qos: 0, retain: false });
      if (plan.optimistic) {
        this.merge(deviceId, plan.optimistic);
        entry.settle({ ok: true });
      }
    });
    if (outcome === 'timeout') return { kind: 'timeout' };
    if (outcome === 'gone') return { kind: 'replies', replies: [] };
    if (!outcome.ok) return { kind: 'replies', replies: [outcome] };
    return { kind: 'replies', replies: [{ ok: true, state: tracked.state }] };
  }

  private onMessage(topic: string, payload: string): void {
    const acked = new Set<string>();
    const settled: Array<() => void> = [];
    for (const entry of this.pending) {
      const ack = entry.ack(topic, payload);
      if (ack === undefined) continue;
      if (ack.ok && ack.state) this.merge(entry.deviceId, ack.state);
      acked.add(entry.deviceId);
      settled.push(() => entry.settle(ack));
    }
    const context = {
      publish: (t: string, p: string) => void this.client?.publish(t, p, { qos: 0, retain: false }),
      subscribe: (t: string) => {
        if (this.learnt.has(t)) return;
        this.learnt.add(t);
        this.client?.subscribe(t, { qos: 0 });
      },
    };
    for (const driver of this.deps.drivers) {
      let updates: DriverUpdate[];
      try {
        updates = driver.onMessage(topic, payload, context);
      } catch (err) {
        this.deps.logger.warn({ serial: this.deps.serial, driver: driver.name, topic, err: (err as Error).message }, 'mqtt driver could not read a message');
        continue;
      }
      for (const update of updates) this.apply(driver, update, acked);
    }
    // The acknowledging message's state is merged first, so the command's 200 carries it.
    for (const settle of settled) settle();
  }

  private apply(driver: MqttDriver, update: DriverUpdate, acked: Set<string>): void {
    const id = update.kind === 'device' ? `${driver.name}:${update.device.name}` : `${driver.name}:${update.name}`;
    const tracked = this.devices.get(id);
    switch (update.kind) {
      case 'device': {
        if (!tracked && this.devices.size >= MAX_BRIDGED_DEVICES) {
          this.deps.logger.warn({ serial: this.deps.serial, driver: driver.name, limit: MAX_BRIDGED_DEVICES }, 'mqtt bridge device limit reached; device ignored');
          return;
        }
        const next: Tracked = tracked
          ? { ...tracked, device: update.device, state: { ...tracked.state, ...update.device.state } }
          : { driver, device: update.device, state: { ...update.device.state }, online: update.device.online ?? true, announced: false };
        this.devices.set(id, next);
        if (next.online) this.announce(id, next);
        return;
      }
      case 'gone':
        if (!tracked) return;
        this.devices.delete(id);
        this.retract(id, tracked);
        return;
      case 'availability':
        if (!tracked) return;
        tracked.online = update.online;
        if (update.online && !tracked.announced) this.announce(id, tracked);
        if (!update.online) this.retract(id, tracked);
        return;
      case 'state': {
        if (!tracked) return;
        const changed = this.merge(id, update.state);
        // A command's echo reaches dashboards with the command's answer, not twice.
        if (changed && tracked.announced && !acked.has(id)) {
          const state = tracked.state;
          this.serially(() => this.deps.sink.reportState(this.deps.serial, id, state));
        }
      }
    }
  }

  /** Merges a partial state; one that would pass the socket path's state cap (8 KiB) is refused whole. */
  private merge(id: string, state: DeviceState): boolean {
    const tracked = this.devices.get(id);
    if (!tracked) return false;
    const next = { ...tracked.state, ...state };
    if (!stateSchema.safeParse(next).success) {
      this.deps.logger.warn({ serial: this.deps.serial, deviceId: id }, 'bridged device state too large; update ignored');
      return false;
    }
    tracked.state = next;
    return true;
  }

  private announce(id: string, tracked: Tracked): void {
    if (this.state !== 'connected') return;
    tracked.announced = true;
    const { device, driver } = tracked;
    const descriptor = {
      id,
      name: device.label,
      type: device.type,
      actions: device.actions,
      state: tracked.state,
      source: 'mqtt' as const,
      bridge: { driver: driver.name, name: device.name, capabilities: device.capabilities },
    };
    const connectionId = this.connectionId;
    this.serially(() => this.deps.sink.connected(this.deps.serial, descriptor, connectionId));
  }

  private retract(id: string, tracked: Tracked): void {
    if (!tracked.announced) return;
    tracked.announced = false;
    for (const entry of this.pending) {
      if (entry.deviceId === id) entry.settle('gone');
    }
    const connectionId = this.connectionId;
    this.serially(() => this.deps.sink.disconnected(this.deps.serial, id, connectionId));
  }

  private brokerLost(): void {
    for (const [id, tracked] of this.devices) this.retract(id, tracked);
    // Commands waiting on a lost broker are answered now (409), not at their timeout.
    for (const entry of this.pending) entry.settle('gone');
    // The next session announces devices afresh; a stale "offline" for the old one changes nothing.
    this.connectionId = bridgeConnectionId(this.deps.instanceId, randomId(6));
  }

  private serially(task: () => Promise<unknown>): void {
    this.chain = this.chain.then(task).then(
      () => undefined,
      (err: unknown) => this.deps.logger.warn({ serial: this.deps.serial, err }, 'bridged device update failed'),
    );
  }

  private setState(state: BridgeState): void {
    this.state = state;
    this.deps.onState?.(state);
  }
}
