import type { AuditService } from '../audit/service.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { randomId } from '../crypto.ts';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { Store } from '../store/types.ts';
import { CommandDispatcher } from './dispatch.ts';
import { Idempotency, type MarkSent } from './idempotency.ts';
import { type DeviceLink, isHeldBy } from './link.ts';
import { DeviceRegistry } from './registry.ts';
import {
  type CommandActor,
  type CommandInput,
  type CommandResult,
  type DeviceAccess,
  type DeviceDescriptor,
  type DeviceRecord,
  type DeviceState,
  type DeviceView,
  toView,
} from './types.ts';

export interface DeviceDeps {
  config: Pick<Config, 'deviceCommandTimeoutMs'>;
  audit: AuditService;
  store: Store;
  clock: Clock;
  logger: Logger;
  events: HomeEvents;
  link: DeviceLink;
}

/**
 * Devices of a home: presence, state and commands. REST routes and kiosk/dashboard sockets call
 * the same methods, so both transports follow the same rules and return the same errors.
 */
export class DeviceService {
  private readonly registry: DeviceRegistry;
  private readonly dispatcher: CommandDispatcher;
  private readonly idempotency: Idempotency;

  constructor(private readonly deps: DeviceDeps) {
    const { store, clock, logger, link, config } = deps;
    this.registry = new DeviceRegistry({ store, clock });
    this.dispatcher = new CommandDispatcher({ link, pubsub: store, logger, timeoutMs: config.deviceCommandTimeoutMs });
    this.idempotency = new Idempotency({ store, clock, attemptMs: config.deviceCommandTimeoutMs });
  }

  async start(): Promise<void> {
    await this.dispatcher.start();
  }

  close(): void {
    this.dispatcher.close();
  }

  /** A guest's list holds only the devices its scope names. */
  async list(serial: string, access?: DeviceAccess): Promise<DeviceView[]> {
    const records = await this.registry.list(serial);
    return (access ? records.filter((r) => access.sees(r.id)) : records).map(toView);
  }

  /** A device outside a guest's scope is not found, exactly as an absent one. */
  async get(serial: string, id: string, access?: DeviceAccess): Promise<DeviceView> {
    const record = access && !access.sees(id) ? null : await this.registry.get(serial, id);
    if (!record) throw new AppError('device_not_found', `No device "${id}" in this home.`);
    return toView(record);
  }

  /**
   * Relays a command; with an idempotency key a repeat returns the first result without resending.
   * Every attempt, allowed or not, is appended to the home's audit log with its outcome.
   */
  async command(actor: CommandActor, input: CommandInput): Promise<{ result: CommandResult; replayed: boolean }> {
    const started = performance.now();
    const audit = (outcome: string) =>
      this.deps.audit.record(actor.serial, {
        ...actor.origin,
        event: 'device.command',
        target: input.deviceId,
        action: input.action,
        outcome,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      });
    const refusal = scopeRefusal(actor.access, input);
    if (refusal) {
      audit('denied');
      throw refusal;
    }
    try {
      const done = await this.commandWithin(actor, input);
      audit(done.replayed ? 'replayed' : 'ok');
      return done;
    } catch (err) {
      audit(outcomeOf(toAppError(err).code));
      throw err;
    }
  }

  private async commandWithin(actor: CommandActor, input: CommandInput): Promise<{ result: CommandResult; replayed: boolean }> {
    await actor.access?.spendUse();
    const request = { deviceId: input.deviceId, action: input.action, params: input.params ?? {} };
    if (input.idempotencyKey === undefined) return { result: await this.send(actor.serial, request, () => {}), replayed: false };
    const { value, replayed } = await this.idempotency.run(actor.scope, input.idempotencyKey, request, (markSent) =>
      this.send(actor.serial, request, markSent),
    );
    return { result: value, replayed };
  }

  /** A device socket was accepted; it replaces any earlier connection of the same device. */
  async connected(serial: string, descriptor: DeviceDescriptor, connectionId: string): Promise<DeviceView> {
    const view = toView(await this.registry.connect(serial, descriptor, connectionId));
    this.deps.logger.info({ serial, deviceId: descriptor.id, type: descriptor.type }, 'device online');
    this.deps.events.toHome(serial, 'device:online', view);
    return view;
  }

  /** A device socket went away; only the current connection's departure makes the device offline. */
  async disconnected(serial: string, deviceId: string, connectionId: string): Promise<void> {
    await this.dispatcher.announceGone({ serial, deviceId, connectionId });
    await this.goOffline(serial, deviceId, connectionId);
  }

  /** An unsolicited state change from the device (a wall switch, a sensor reading). */
  async reportState(serial: string, deviceId: string, state: DeviceState): Promise<void> {
    const record = await this.registry.setState(serial, deviceId, state);
    if (record) this.deps.events.toHome(serial, 'device:state', toView(record));
  }

  /**
   * An instance died without saying goodbye (see liveness.ts): its devices are offline, and
   * commands still waiting on them anywhere end now instead of at their timeout.
   */
  async instanceGone(instanceId: string, serials: string[]): Promise<number> {
    let gone = 0;
    for (const serial of serials) {
      for (const record of await this.registry.list(serial)) {
        if (!record.online || record.connectionId === null || !isHeldBy(record.connectionId, instanceId)) continue;
        await this.disconnected(serial, record.id, record.connectionId);
        gone++;
      }
    }
    return gone;
  }

  /**
   * Corrects devices the registry believes online though no socket holds them (the relay
   * stopped without saying goodbye). Safe to run beside live connections: a device that
   * reconnected meanwhile has a new connection id and is left alone.
   */
  async reconcile(serials: string[]): Promise<number> {
    let corrected = 0;
    for (const serial of serials) {
      for (const record of await this.registry.list(serial)) {
        if (!record.online || record.connectionId === null) continue;
        if (await this.deps.link.isConnected(serial, record.id)) continue;
        if (await this.goOffline(serial, record.id, record.connectionId)) corrected++;
      }
    }
    return corrected;
  }

  private async send(serial: string, request: Required<Omit<CommandInput, 'idempotencyKey'>>, markSent: MarkSent): Promise<CommandResult> {
    const record = await this.registry.get(serial, request.deviceId);
    if (!record) throw new AppError('device_not_found', `No device "${request.deviceId}" in this home.`);
    if (!record.actions.includes(request.action)) {
      throw new AppError('unsupported_action', `"${record.name}" does not support "${request.action}".`, { actions: record.actions });
    }
    if (!record.online || record.connectionId === null) throw offline(record);

    const commandId = randomId(12);
    const outcome = await this.dispatcher.send(serial, record.connectionId, { commandId, ...request }).catch((err: unknown) => {
      // A timeout, a rejection or a socket lost mid-command: the device may have acted on it.
      markSent();
      throw err;
    });
    if (outcome.kind === 'reply') markSent();
    if (outcome.kind === 'offline') {
      // The registry said online but no socket answered anywhere: it was stale, so correct it.
      await this.goOffline(serial, record.id, record.connectionId);
      throw offline(record);
    }
    this.deps.logger.info({ serial, deviceId: record.id, action: request.action, commandId }, 'device command done');
    if (outcome.reply.state === undefined) return { commandId, device: toView(record) };
    const updated = await this.registry.setState(serial, record.id, outcome.reply.state);
    const view = toView(updated ?? { ...record, state: outcome.reply.state });
    this.deps.events.toHome(serial, 'device:state', view);
    return { commandId, device: view };
  }

  private async goOffline(serial: string, deviceId: string, connectionId: string): Promise<boolean> {
    const record = await this.registry.markOffline(serial, deviceId, connectionId);
    if (!record) return false;
    this.deps.logger.info({ serial, deviceId }, 'device offline');
    this.deps.events.toHome(serial, 'device:offline', toView(record));
    return true;
  }
}

/** A guest's command outside its scope: an unseen device is absent (404), a disallowed action 403. */
function scopeRefusal(access: DeviceAccess | undefined, input: CommandInput): AppError | null {
  if (!access) return null;
  if (!access.sees(input.deviceId)) return new AppError('device_not_found', `No device "${input.deviceId}" in this home.`);
  if (!access.allows(input.deviceId, input.action)) return new AppError('insufficient_scope', `This grant may not "${input.action}" this device.`);
  return null;
}

/** The audit log's word for how a command ended. */
function outcomeOf(code: string): string {
  switch (code) {
    case 'command_rejected':
      return 'rejected';
    case 'device_timeout':
      return 'timeout';
    case 'device_offline':
      return 'offline';
    case 'insufficient_scope':
      return 'denied';
    case 'device_not_found':
      return 'not_found';
    default:
      return code;
  }
}

const offline = (record: DeviceRecord) => new AppError('device_offline', `"${record.name}" is offline.`);
