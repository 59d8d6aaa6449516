import { createMqttBridge } from '../bridges/mqtt/feature.ts';
import { routeDeviceLinks } from '../bridges/mqtt/link.ts';
import { systemClock } from '../clock.ts';
import { randomId } from '../crypto.ts';
import type { FeatureFactory } from '../feature.ts';
import { deviceRoutes } from '../http/device-routes.ts';
import { dashboardDeviceEvents, kioskDeviceEvents } from '../realtime/device-events.ts';
import { SocketDeviceLink } from '../realtime/device-link.ts';
import { attachDevices, type DeviceSockets, reannounceDevices } from '../realtime/device-namespace.ts';
import { relayNamespaces } from '../realtime/events.ts';
import { InstanceLiveness } from '../devices/liveness.ts';
import type { DeviceConnection } from '../devices/registry.ts';
import { DeviceService } from '../devices/service.ts';

/**
 * The device relay plugged into the core: the `/device` namespace, REST routes and the
 * `devices:list` / `device:command` events of kiosks and dashboards, all over one DeviceService.
 * This file is the feature's composition root; the domain files beside it know no transport.
 */
export const devicesFeature: FeatureFactory = ({ deps, services, events, io, socketOrigin }) => {
  const { config, store, clock, logger } = deps;
  // Names this process in device connection ids; a survivor marks a dead instance's devices offline.
  const instanceId = randomId(9);
  // MQTT devices (docs/mqtt.md) ride the same DeviceService; their commands are routed by connection id.
  const mqtt = createMqttBridge({ deps, services }, instanceId);
  const devices = new DeviceService({ config, store, clock, logger, events, audit: services.audit, link: routeDeviceLinks(new SocketDeviceLink(io), mqtt.link) });
  const started = devices.start().catch((err: unknown) => logger.error({ err }, 'device relay could not subscribe to device departures'));
  const serials = async () => (await services.homes.list()).map((h) => h.serial);
  const liveness = new InstanceLiveness({
    store,
    logger,
    clock,
    realClock: systemClock,
    instanceId,
    onDead: async (dead) => {
      const gone = await devices.instanceGone(dead, await serials());
      if (gone > 0) logger.info({ instanceId: dead, devices: gone }, 'devices of a dead instance marked offline');
    },
    onRevived: () => reannounceDevices(relayNamespaces(io).device, devices, instanceId),
  });

  // Offline devices past DEVICE_RETENTION are forgotten (every instance may sweep; a removal happens once).
  const prune = () =>
    serials()
      .then((all) => devices.prune(all))
      .then((n) => n && logger.info({ pruned: n }, 'forgot devices offline longer than DEVICE_RETENTION'))
      .catch((err: unknown) => logger.warn({ err }, 'device prune failed'));
  let pruneTimer: NodeJS.Timeout | undefined;
  let sockets: DeviceSockets | undefined;
  let departing: Promise<DeviceConnection[]> = Promise.resolve([]);

  return {
    name: 'devices',
    routes: (json) => deviceRoutes(devices, services.grants, json),
    kiosk: kioskDeviceEvents(devices, logger),
    dashboard: dashboardDeviceEvents(devices, services.grants, logger),
    kioskSnapshot: async (serial) => ({ devices: await devices.list(serial) }),
    dashboardSnapshot: async ({ grant, access }) => ({ devices: await devices.list(grant.serial, access) }),
    attach(server) {
      sockets = attachDevices(relayNamespaces(server).device, {
        devices,
        deviceKeys: services.deviceKeys,
        handshakes: services.handshakes,
        originOf: socketOrigin,
        logger,
        instanceId,
      });
      // Heartbeats only matter when other instances share the store; a lone relay's start-up reconcile covers it.
      if (store.kind === 'redis') void liveness.start().catch((err: unknown) => logger.warn({ err }, 'instance heartbeat could not start'));
      // Devices left "online" by a relay that stopped abruptly are corrected once sockets can be counted.
      void started
        .then(async () => devices.reconcile((await services.homes.list()).map((h) => h.serial)))
        .then((n) => n && logger.info({ corrected: n }, 'marked devices without a connection offline'))
        .catch((err: unknown) => logger.warn({ err }, 'device reconcile failed'))
        .then(prune)
        .finally(() => mqtt.start(devices));
      // Real time on purpose: the prune compares against the clock; the timer only says how often to look.
      pruneTimer = setInterval(prune, config.devicePruneIntervalMs);
      pruneTimer.unref();
    },
    close: async () => {
      clearInterval(pruneTimer);
      liveness.close();
      // Before the sockets close, so that their disconnects leave the devices to socketsClosed.
      departing = sockets?.drain() ?? departing;
      await mqtt.close();
      await devices.flushStates().catch((err: unknown) => logger.warn({ err }, 'device states could not be flushed'));
      devices.close();
    },
    // One registry write for every device this instance held, and a `device:offline` each that
    // reaches the other instances' screens and the resume log (none are left here to tell).
    socketsClosed: async () => {
      const connections = await departing;
      const offline = await devices.departed(connections).catch((err: unknown) => {
        logger.error({ err, devices: connections.length }, 'devices of this instance could not be marked offline');
        return [];
      });
      if (connections.length > 0) logger.info({ devices: offline.length, held: connections.length }, 'devices of this instance marked offline');
    },
  };
};
