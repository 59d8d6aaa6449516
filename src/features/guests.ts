import { createHmac } from 'node:crypto';
import { kioskOrigin } from '../audit/types.ts';
import type { FeatureFactory } from '../feature.ts';
import { guestRoutes } from '../http/guest-routes.ts';
import { baseUrlFor } from '../http/public-url.ts';
import { onAck } from '../realtime/ack.ts';
import { GuestService } from '../guests/service.ts';
import { inviteBody } from '../guests/terms.ts';

/** Guest invites: `POST /api/v1/guests`, `POST /api/v1/guests/claim` and the kiosk's `guest:create`. */
export const guestsFeature: FeatureFactory = ({ deps, services }) => {
  const { config, store, clock, logger } = deps;
  const guests = new GuestService({
    config,
    store,
    clock,
    logger,
    homes: services.homes,
    grants: services.grants,
    audit: services.audit,
    // Guest claims spend the home's pairing failure budget: an invite is no second door with its own allowance.
    budget: services.pairingBudget,
    codeKey: createHmac('sha256', deps.jwtSecret).update('home-relay guest invites v1').digest(),
  });
  return {
    name: 'guests',
    routes: (json) => guestRoutes({ guests, grants: services.grants, rateLimiter: services.rateLimiter, config }, json),
    kiosk: (socket, serial) => {
      onAck(socket, logger, 'guest:create', inviteBody, (body) => {
        const { headers } = socket.handshake;
        const base = baseUrlFor(
          { host: headers.host, protocol: socket.handshake.secure ? 'https' : 'http', localPort: socket.request.socket.localPort },
          config,
        );
        return guests.invite(serial, body, kioskOrigin, base);
      });
    },
  };
};
