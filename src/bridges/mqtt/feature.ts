import { Gauge } from 'prom-client';
import { systemClock } from '../../clock.ts';
import type { FeatureContext } from '../../feature.ts';
import { BridgeLease } from './lease.ts';
import { BridgeCommandLink } from './link.ts';
import { BridgeManager } from './manager.ts';
import { BridgeSettingsStore } from './settings.ts';
import type { BridgeDeviceSink } from './sink.ts';

/** A lease lasts this long unrenewed; renewals every TICK_MS. A SIGKILLed holder is replaced within LEASE_MS + TICK_MS. */
const LEASE_MS = 5000;
const TICK_MS = 1500;
const STATES = ['connecting', 'connected', 'disconnected', 'stopped', 'standby'] as const;

export interface MqttBridge {
  /** The DeviceLink for bridged devices (routed beside the socket link by connection id). */
  readonly link: BridgeCommandLink;
  /** Starts the manager once DeviceService exists; bridged devices are reported to it. */
  start(sink: BridgeDeviceSink): void;
  close(): Promise<void>;
}

/**
 * The MQTT bridge wired into a relay instance: settings in the store (plus MQTT_URL), a lease per
 * home, a runner per held home, commands forwarded between instances, and per-home state on /metrics.
 * One home's broker is not the relay's dependency: nothing here touches /readyz.
 */
export function createMqttBridge(context: Pick<FeatureContext, 'deps' | 'services'>, instanceId: string): MqttBridge {
  const { config, store, clock, logger, metrics } = context.deps;
  const lease = new BridgeLease({ store, clock, realClock: systemClock, instanceId, ttlMs: LEASE_MS });
  const settings = new BridgeSettingsStore({ store, clock, config });
  let manager: BridgeManager | undefined;
  const link = new BridgeCommandLink({ pubsub: store, lease, instanceId, logger, runnerFor: (serial) => manager?.runnerFor(serial) });

  new Gauge({
    name: 'relay_mqtt_bridge_state',
    help: 'MQTT bridge state per home on this instance (1 for the current state; standby: another instance runs it)',
    labelNames: ['serial', 'state'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const { serial, status } of manager?.snapshot() ?? []) for (const state of STATES) this.set({ serial, state }, state === status ? 1 : 0);
    },
  });
  new Gauge({
    name: 'relay_mqtt_bridge_devices',
    help: 'Bridged devices online per home, on the instance running its bridge',
    labelNames: ['serial'] as const,
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const { serial, devices } of manager?.snapshot() ?? []) this.set({ serial }, devices);
    },
  });

  return {
    link,
    start(sink) {
      manager = new BridgeManager({
        settings,
        lease,
        sink,
        logger,
        instanceId,
        z2mBase: config.mqtt.z2mBase,
        homeExists: async (serial) => (await context.services.homes.get(serial)) !== null,
        tickMs: TICK_MS,
      });
      void link
        .start()
        .then(() => manager?.start())
        .catch((err: unknown) => logger.error({ err }, 'mqtt bridge could not start'));
    },
    async close() {
      await manager?.close();
      link.close();
    },
  };
}
