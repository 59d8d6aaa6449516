import type { AuditService } from '../audit/service.ts';
import { type AuditOrigin, systemOrigin } from '../audit/types.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config.ts';
import { randomId } from '../crypto.ts';
import { AppError, toAppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { HomeEvents } from '../ports.ts';
import type { Store } from '../store/types.ts';
import { CommandDispatcher } from './dispatch.ts';
import { Idempotency, type MarkSent } from './idempotency.ts';
import { type DeviceLink, isHeldBy } from './link.ts';
import { type DeviceConnection, DeviceRegistry } from './registry.ts';
import { StateFlow } from './state-flow.ts';
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

/** At most one durable state write per device per second, whatever the device sends. */
const STATE_WRITE_EVERY_MS = 1000;

export interface DeviceDeps {
  config: Pick<Config, 'deviceCommandTimeoutMs' | 'deviceStateRate' | 'deviceRetentionMs' | 'maxDevicesPerHome'>;
  audit: AuditService;
  store: Store;
  clock: Clock;
  /** Real elapsed time for state rates (the domain clock may be a test's fake one). */
  ticks?: Clock;
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
  private readonly states: StateFlow;

  constructor(private readonly deps: DeviceDeps) {
    const { store, clock, logger, link, config } = deps;
    this.states = new StateFlow({
      rate: config.deviceStateRate,
      writeEveryMs: STATE_WRITE_EVERY_MS,
      ticks: deps.ticks ?? systemClock,
      clock,
      logger,
      persist: (serial, id, { state, at }) => this.registry.setState(serial, id, state, at),
      publish: (serial, record, volatile) => deps.events.toHome(serial, 'device:state', toView(record), { volatile }),
    });
    this.registry = new DeviceRegistry({ store, clock, limits: { maxPerHome: config.maxDevicesPerHome } });
    this.dispatcher = new CommandDispatcher({ link, pubsub: store, clock, logger, timeoutMs: config.deviceCommandTimeoutMs });
    this.idempotency = new Idempotency({ store, clock, attemptMs: config.deviceCommandTimeoutMs });
  }

  async start(): Promise<void> {
    await this.dispatcher.start();
  }

  close(): void {
    this.dispatcher.close();
  }

  /** Shutdown: every coalesced state not yet durable is written. */
  flushStates(): Promise<void> {
    return this.states.flushAll();
  }

  /** A guest's list holds only the devices its scope names. */
  async list(serial: string, access?: DeviceAccess): Promise<DeviceView[]> {
    const records = await this.registry.list(serial);
    return (access ? records.filter((r) => access.sees(r.id)) : records).map((r) => toView(this.states.overlay(serial, r)));
  }

  /** A device outside a guest's scope is not found, exactly as an absent one. */
  async get(serial: string, id: string, access?: DeviceAccess): Promise<DeviceView> {
    const record = access && !access.sees(id) ? null : await this.registry.get(serial, id);
    if (!record) throw new AppError('device_not_found', `No device "${id}" in this home.`);
    return toView(this.states.overlay(serial, record));
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
    let refusal = scopeRefusal(actor.access, input);
    // A device the scope names but the home does not have is absent, as for anyone else.
    if (refusal?.code === 'insufficient_scope' && !(await this.registry.get(actor.serial, input.deviceId))) {
      refusal = new AppError('device_not_found', `No device "${input.deviceId}" in this home.`);
    }
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
    const request = { deviceId: input.deviceId, action: input.action, params: input.params ?? {} };
    // A guest's use is spent only by a command that goes out: a replay, or a command that never
    // reached the device, costs nothing.
    const sendCounted = async (markSent: () => void) => {
      const { access } = actor;
      if (!access) return this.send(actor.serial, request, markSent);
      await access.spendUse();
      let sent = false;
      try {
        return await this.send(actor.serial, request, () => {
          sent = true;
          markSent();
        });
      } catch (err) {
        if (!sent) await access.refundUse();
        throw err;
      }
    };
    if (input.idempotencyKey === undefined) return { result: await sendCounted(() => {}), replayed: false };
    const { value, replayed } = await this.idempotency.run(actor.scope, input.idempotencyKey, request, sendCounted);
    return { result: value, replayed };
  }

  /** Whether the handshake of `deviceId` may go on: known already, or the home is below its cap. */
  hasRoomFor(serial: string, deviceId: string): Promise<boolean> {
    return this.registry.hasRoomFor(serial, deviceId);
  }

  /**
   * Forgets a device (a full grant's DELETE, a kiosk's `device:remove`): its record, pending
   * state and key go, its socket is cut, and the home's screens hear `device:removed`.
   */
  async remove(serial: string, deviceId: string, by: AuditOrigin): Promise<void> {
    if (!(await this.forget(serial, deviceId, 'removed'))) throw new AppError('device_not_found', `No device "${deviceId}" in this home.`);
    this.deps.audit.record(serial, { ...by, event: 'device.removed', target: deviceId, outcome: 'ok' });
  }

  /** Offline devices unseen for DEVICE_RETENTION are forgotten; returns how many. */
  async prune(serials: string[]): Promise<number> {
    const cutoff = this.deps.clock.now() - this.deps.config.deviceRetentionMs;
    let pruned = 0;
    for (const serial of serials) {
      const entries = await this.registry.entries(serial);
      await this.registry.dropFromIndex(serial, entries.filter(([, r]) => r === null).map(([id]) => id));
      for (const [id, record] of entries) {
        if (!record || record.online || Date.parse(record.updatedAt) > cutoff || !(await this.forget(serial, id, 'retention'))) continue;
        this.deps.audit.record(serial, { ...systemOrigin, event: 'device.pruned', target: id, outcome: 'ok' });
        pruned++;
      }
    }
    return pruned;
  }

  /** A device socket was accepted; it replaces any earlier connection of the same device. */
  async connected(serial: string, descriptor: DeviceDescriptor, connectionId: string): Promise<DeviceView> {
    const record = await this.registry.connect(serial, descriptor, connectionId);
    this.states.track(serial, record);
    const view = toView(record);
    this.deps.logger.info({ serial, deviceId: descriptor.id, type: descriptor.type }, 'device online');
    this.deps.events.toHome(serial, 'device:online', view);
    return view;
  }

  /** A device socket went away; only the current connection's departure makes the device offline. */
  async disconnected(serial: string, deviceId: string, connectionId: string): Promise<void> {
    for (const { connection } of await this.departed([{ serial, deviceId, connectionId }])) {
      this.deps.logger.info({ serial: connection.serial, deviceId: connection.deviceId }, 'device offline');
    }
  }

  /**
   * Many device connections went away together (this instance is stopping, another one died):
   * what `disconnected` does for each, with one registry write for all of them instead of one per
   * device. Each device still gets its own `device:offline` (kiosks, dashboards and the resume log,
   * on every instance); one that reconnected meanwhile is left online. Returns those marked offline.
   */
  async departed(connections: readonly DeviceConnection[]): Promise<{ connection: DeviceConnection; record: DeviceRecord }[]> {
    // Commands waiting on these sockets anywhere end now instead of at their timeout.
    await Promise.all(connections.map((c) => this.dispatcher.announceGone(c)));
    // The latest coalesced state is durable before the device reads as offline.
    await Promise.all(connections.map((c) => this.states.flush(c.serial, c.deviceId)));
    const changed = await this.registry.markOfflineMany(connections);
    for (const { connection, record } of changed) this.deps.events.toHome(connection.serial, 'device:offline', toView(record));
    return changed;
  }

  /**
   * An unsolicited state change from the device (a wall switch, a sensor reading). Rate-limited
   * and coalesced per device (see state-flow.ts): a flood costs one write a second.
   */
  reportState(serial: string, deviceId: string, state: DeviceState): Promise<void> {
    return this.states.report(serial, () => this.registry.get(serial, deviceId), deviceId, state);
  }

  /**
   * An instance died without saying goodbye (see liveness.ts): its devices are offline, and
   * commands still waiting on them anywhere end now instead of at their timeout.
   */
  async instanceGone(instanceId: string, serials: string[]): Promise<number> {
    const held: DeviceConnection[] = [];
    for (const serial of serials) {
      for (const record of await this.registry.list(serial)) {
        if (record.online && record.connectionId !== null && isHeldBy(record.connectionId, instanceId)) held.push({ serial, deviceId: record.id, connectionId: record.connectionId });
      }
    }
    return (await this.departed(held)).length;
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
        if (await this.deps.link.isConnected(serial, record.id, record.connectionId)) continue;
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
    if (updated) this.states.superseded(serial, updated);
    const view = toView(updated ?? { ...record, state: outcome.reply.state });
    this.deps.events.toHome(serial, 'device:state', view);
    return { commandId, device: view };
  }

  private async forget(serial: string, deviceId: string, reason: 'removed' | 'retention'): Promise<boolean> {
    const record = await this.registry.remove(serial, deviceId);
    if (!record) return false;
    this.states.forget(serial, deviceId);
    // Its key goes too: an enrolled id can be enrolled again (a replaced device).
    await this.deps.store.deleteDeviceKey(serial, deviceId);
    await this.deps.link.disconnect?.(serial, deviceId);
    this.deps.logger.info({ serial, deviceId, reason }, 'device forgotten');
    this.deps.events.toHome(serial, 'device:removed', { id: deviceId, reason });
    return true;
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
