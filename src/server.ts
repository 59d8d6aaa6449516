import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';
import { Server as SocketServer } from 'socket.io';
import { createApp } from './app.ts';
import type { Feature, FeatureFactory } from './feature.ts';
import { auditFeature } from './features/audit.ts';
import { devicesFeature } from './features/devices.ts';
import { guestsFeature } from './features/guests.ts';
import { qrFeature } from './features/qr.ts';
import { answerClientErrors } from './http/client-errors.ts';
import { closeSocketsAtOnce } from './realtime/close-sockets.ts';
import { attachDashboard } from './realtime/dashboard-namespace.ts';
import { type RelaySocketServer, relayNamespaces } from './realtime/events.ts';
import { SocketHomeEvents } from './realtime/home-events.ts';
import { watchHomes } from './realtime/home-watch.ts';
import { attachKiosk } from './realtime/kiosk-namespace.ts';
import { namespaces } from './realtime/rooms.ts';
import { watchSlowConsumers } from './realtime/slow-consumers.ts';
import { socketOrigin, type TrustProxy } from './realtime/socket-origin.ts';
import { coalesceWrites } from './realtime/write-coalescing.ts';
import { buildServices, type Deps, type Services } from './services.ts';
import { MemoryHomeEventLog } from './store/event-log.ts';

export interface RelayServer {
  readonly httpServer: HttpServer;
  /** The Express app (test/openapi.test.ts walks its router). */
  readonly app: Express;
  readonly io: RelaySocketServer;
  readonly services: Services;
  /** Resolves with the bound port (0 picks a free one). */
  listen(port: number, host?: string): Promise<number>;
  /** Stops accepting, closes sockets and timers. The store is the caller's to close. */
  close(options?: CloseOptions): Promise<void>;
}

export interface CloseOptions {
  /**
   * The process exits as soon as this resolves, and the kernel closes its connections at exit: none
   * is torn down here. At 19,500 sockets tearing each down (Socket.IO and engine.io's per-socket
   * close, a close(2) each, the garbage they leave) was two thirds of the SIGTERM drain. What a
   * disconnect would store is stored as on any close: devices offline in one batch, their events
   * settled. Tests close in-process and need every connection really closed, so it is off by default.
   */
  processExiting?: boolean;
}

export interface ServerOptions {
  /** A Socket.IO adapter constructor (the Redis adapter for multi-instance runs). */
  adapter?: Parameters<SocketServer['adapter']>[0];
  /** Defaults to every product feature; tests may pass a subset. */
  features?: FeatureFactory[];
}

/** How long in-flight responses get to finish on close before their connections are cut. */
const SHUTDOWN_GRACE_MS = 1000;

/** Resolves when every response has gone out (or closed), or after `graceMs`. */
function answered(responses: Set<ServerResponse>, graceMs: number): Promise<void> {
  if (responses.size === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, graceMs);
    let open = responses.size;
    for (const res of responses) {
      res.once('close', () => {
        if (--open === 0) done();
      });
    }
  });
}

/** Every product feature, in the order their routes are mounted. */
export const allFeatures: FeatureFactory[] = [devicesFeature, qrFeature, auditFeature, guestsFeature];

/** One http.Server carrying Express, Socket.IO and SSE on one port. */
export function createServer(deps: Deps, options: ServerOptions = {}): RelayServer {
  const { config, logger, metrics, clock } = deps;
  // Socket.IO wraps the 'request' listeners present when it attaches and hands them only what is
  // not /socket.io. Express is built later (it needs the services), so a stable listener that
  // forwards to it is registered first; a listener added after attach would also answer polling
  // requests (colliding with engine.io's response) and empty /socket.io/socket.io.js.
  let handleHttp: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.statusCode = 503;
    res.end();
  };
  // Responses still being worked on; a stopping process answers them before its store closes.
  const inFlight = new Set<ServerResponse>();
  const httpServer = createHttpServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    handleHttp(req, res);
  });
  answerClientErrors(httpServer);
  const connections = new Set<Socket>();
  httpServer.on('connection', (connection: Socket) => {
    connections.add(connection);
    connection.once('close', () => connections.delete(connection));
  });
  const io: RelaySocketServer = new SocketServer(httpServer, {
    perMessageDeflate: false,
    maxHttpBufferSize: 64 * 1024,
    serveClient: true,
    cors: config.corsOrigins.length > 0 ? { origin: [...config.corsOrigins] } : undefined,
    ...(options.adapter ? { adapter: options.adapter } : {}),
  });
  const slowConsumers = watchSlowConsumers(io, Object.values(namespaces), {
    maxBufferBytes: config.socketMaxBufferBytes,
    logger,
    onDisconnect: metrics.countSlowConsumer,
  });
  coalesceWrites(io, slowConsumers.flushGuard);
  // Shared by instances on Redis; a single node keeps its log in memory (its sockets are all here).
  const eventLog = deps.store.openEventLog?.(config.resume) ?? new MemoryHomeEventLog(clock, config.resume);
  const events = new SocketHomeEvents(io, { events: eventLog, logger });
  const services = buildServices(deps, events);
  // Express compiles TRUST_PROXY, and Express is built after the features: sockets read it late.
  let trustProxy: TrustProxy = () => false;
  const originOf = (socket: Parameters<typeof socketOrigin>[0]) => socketOrigin(socket, trustProxy);
  const features: Feature[] = (options.features ?? allFeatures).map((make) => make({ deps, services, events, io, socketOrigin: originOf }));
  const pick = <K extends keyof Feature>(key: K) =>
    features.map((f) => f[key]).filter((x): x is NonNullable<Feature[K]> => x !== undefined);
  const app = createApp(deps, services, pick('routes'));
  handleHttp = app;
  trustProxy = app.get('trust proxy fn') as TrustProxy;

  const realtime = { services, logger, clock, trustProxy, eventLog };
  const nsp = relayNamespaces(io);
  attachKiosk(nsp.kiosk, realtime, pick('kiosk'), pick('kioskSnapshot'));
  attachDashboard(nsp.dashboard, realtime, pick('dashboard'), pick('dashboardSnapshot'));
  for (const feature of features) feature.attach?.(io);
  // Key rotations and removals, from any instance or the CLI, reach the sockets held here.
  const homeWatch = watchHomes(io, { store: deps.store, services, logger, eventLog });
  metrics.countSocketsWith(() => ({
    [namespaces.kiosk]: nsp.kiosk.sockets.size,
    [namespaces.device]: nsp.device.sockets.size,
    [namespaces.dashboard]: nsp.dashboard.sockets.size,
  }));

  return {
    httpServer,
    app,
    io,
    services,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          void homeWatch.ready.then(() => resolve((httpServer.address() as AddressInfo).port));
        });
      });
    },
    async close(options = {}) {
      services.pairing.close();
      homeWatch.stop();
      slowConsumers.stop();
      for (const feature of features) await feature.close?.();
      if (options.processExiting) {
        httpServer.close();
        // Nothing more is read: a message arriving now would act on a relay that is stopping.
        for (const connection of connections) connection.pause();
        // These sockets are cut at exit: what the drain announces (a device:offline per device held
        // here) goes to the other instances and the resume log only. Delivered here too, it was a
        // write to every local dashboard and kiosk of the home: most of the drain that was left.
        for (const name of Object.values(namespaces)) {
          const { adapter } = io.of(name);
          adapter.rooms.clear();
          adapter.sids.clear();
        }
        for (const feature of features) await feature.socketsClosed?.();
        await answered(inFlight, SHUTDOWN_GRACE_MS);
        await events.settled();
        return;
      }
      // Every socket is disconnected and the http server closed, which then waits for every TCP
      // connection to end. Idle keep-alives are dropped now; connections that never sent a request
      // (browsers and fetch open them ahead of time) are invisible to Node's idle tracking, so every
      // connection still open after a short grace for in-flight responses is destroyed.
      const closed = closeSocketsAtOnce(io, Object.values(namespaces));
      httpServer.closeIdleConnections();
      const grace = setTimeout(() => {
        for (const connection of connections) connection.destroy();
      }, SHUTDOWN_GRACE_MS);
      for (const feature of features) await feature.socketsClosed?.();
      // The events those sent reach the adapter and the resume log before either closes.
      await events.settled();
      await closed;
      clearTimeout(grace);
    },
  };
}
