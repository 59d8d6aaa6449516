import type { Feature, FeatureContext } from '../feature.ts';
import { qrRoutes } from '../http/qr-routes.ts';
import { qrDashboardEvents } from '../realtime/qr-dashboard.ts';
import { QrService } from '../qr/service.ts';
import { type LiveCounts, QrStreams } from '../qr/stream.ts';

export interface QrFeature extends Feature {
  readonly service: QrService;
  /** Open streams with their timers and subscriptions on this instance (leak checks, metrics). */
  liveStreams(): LiveCounts;
}

/** QR login: sessions, approval by a paired phone, results over Server-Sent Events. */
export function qrFeature({ deps, services }: FeatureContext): QrFeature {
  const { config, store, clock, logger } = deps;
  const service = new QrService({ config, store, clock, logger, grants: services.grants, audit: services.audit });
  const streams = new QrStreams({ qr: service, pubsub: store, clock, logger, pingIntervalMs: config.qrPingIntervalMs, scanRotationMs: config.qrScanRotationMs });
  return {
    name: 'qr',
    service,
    routes: (json) =>
      qrRoutes({ qr: service, streams, grants: services.grants, rateLimiter: services.rateLimiter, config }, json),
    dashboard: qrDashboardEvents(service, logger),
    liveStreams: () => streams.counts(),
    // Open streams would otherwise hold server.close() until their clients leave.
    close: () => streams.closeAll(),
  };
}
