import { z } from 'zod';
import { randomId } from '../../crypto.ts';
import type { DeviceLink, LinkResult } from '../../devices/link.ts';
import type { DeviceCommand } from '../../devices/types.ts';
import type { Logger } from '../../logger.ts';
import type { PubSub, Unsubscribe } from '../../store/types.ts';
import { parseJson } from './driver.ts';
import type { BridgeLease } from './lease.ts';
import type { BridgeRunner } from './runner.ts';
import { isBridgeConnection } from './sink.ts';
import { channels } from '../../store/keys.ts';

const requestChannel = channels.mqttCommands;
const replyChannel = channels.mqttReplies;
/** A forwarded command's answer may take the device's whole timeout plus two store hops. */
const FORWARD_SLACK_MS = 2000;

const commandSchema = z.object({ commandId: z.string(), action: z.string(), params: z.record(z.string(), z.unknown()) });
const forwardedRequest = z.object({ id: z.string(), from: z.string(), serial: z.string(), deviceId: z.string(), command: commandSchema, timeoutMs: z.number().int().positive() });
const forwardedReply = z.object({
  id: z.string(),
  result: z.union([z.object({ kind: z.literal('replies'), replies: z.array(z.unknown()) }), z.object({ kind: z.literal('timeout') })]),
});

/**
 * Commands for bridged devices. The instance holding a home's lease runs its runner and answers
 * at once; any other instance forwards the command to the holder over the store's pub/sub and
 * waits for its answer, the way the Socket.IO adapter carries a command to a socket elsewhere.
 */
export class BridgeCommandLink implements DeviceLink {
  private readonly waiting = new Map<string, (result: LinkResult) => void>();
  private readonly unsubscribes: Unsubscribe[] = [];

  constructor(
    private readonly deps: {
      pubsub: PubSub;
      lease: BridgeLease;
      instanceId: string;
      logger: Logger;
      runnerFor: (serial: string) => BridgeRunner | undefined;
    },
  ) {}

  async start(): Promise<void> {
    const { pubsub, instanceId } = this.deps;
    this.unsubscribes.push(await pubsub.subscribe(requestChannel(instanceId), (m) => void this.onRequest(m)));
    this.unsubscribes.push(await pubsub.subscribe(replyChannel(instanceId), (m) => this.onReply(m)));
  }

  close(): void {
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    for (const resolve of this.waiting.values()) resolve({ kind: 'replies', replies: [] });
    this.waiting.clear();
  }

  async send(serial: string, deviceId: string, command: DeviceCommand, timeoutMs: number): Promise<LinkResult> {
    const local = this.deps.runnerFor(serial);
    if (local) return local.command(deviceId, command, timeoutMs);
    const holder = await this.deps.lease.holder(serial);
    // Nobody runs the bridge (or we hold the lease but the runner is not up yet): the device is not reachable.
    if (holder === null || holder === this.deps.instanceId) return { kind: 'replies', replies: [] };
    const id = randomId(12);
    const answered = new Promise<LinkResult>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ kind: 'timeout' });
      }, timeoutMs + FORWARD_SLACK_MS);
      this.waiting.set(id, (result) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(result);
      });
    });
    const request = { id, from: this.deps.instanceId, serial, deviceId, command, timeoutMs };
    await this.deps.pubsub.publish(requestChannel(holder), JSON.stringify(request)).catch(() => this.waiting.get(id)?.({ kind: 'timeout' }));
    return answered;
  }

  /** A bridged device is reachable while the instance that announced it still holds its home's lease. */
  async isConnected(serial: string, _deviceId: string, connectionId: string): Promise<boolean> {
    const holder = await this.deps.lease.holder(serial);
    return holder !== null && connectionId.startsWith(`${holder}/`) && (holder !== this.deps.instanceId || this.deps.runnerFor(serial) !== undefined);
  }

  private async onRequest(message: string): Promise<void> {
    const parsed = forwardedRequest.safeParse(parseJson(message));
    if (!parsed.success) return;
    const { id, from, serial, deviceId, command, timeoutMs } = parsed.data;
    const runner = this.deps.runnerFor(serial);
    const result: LinkResult = runner ? await runner.command(deviceId, command, timeoutMs) : { kind: 'replies', replies: [] };
    await this.deps.pubsub.publish(replyChannel(from), JSON.stringify({ id, result })).catch((err: unknown) => {
      this.deps.logger.warn({ serial, err }, 'could not return a forwarded mqtt command result');
    });
  }

  private onReply(message: string): void {
    const parsed = forwardedReply.safeParse(parseJson(message));
    if (parsed.success) this.waiting.get(parsed.data.id)?.(parsed.data.result);
  }
}

/** One DeviceLink over two transports: bridged devices by their connection id, sockets otherwise. */
export function routeDeviceLinks(sockets: DeviceLink, bridge: DeviceLink): DeviceLink {
  return {
    send: (serial, deviceId, command, timeoutMs, connectionId) =>
      (isBridgeConnection(connectionId) ? bridge : sockets).send(serial, deviceId, command, timeoutMs, connectionId),
    isConnected: (serial, deviceId, connectionId) => (isBridgeConnection(connectionId) ? bridge : sockets).isConnected(serial, deviceId, connectionId),
    // A removed device: cut whatever socket it has (a bridged one has none; the broker may announce it again).
    disconnect: async (serial, deviceId) => {
      await sockets.disconnect?.(serial, deviceId);
      await bridge.disconnect?.(serial, deviceId);
    },
  };
}

