import type { AuditService } from './audit/service.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { DeviceKeyService } from './credentials/device-keys.ts';
import type { HandshakeGuard } from './credentials/handshake-guard.ts';
import type { GrantService } from './grants/service.ts';
import type { HomeService } from './homes/service.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { PairingBudget } from './pairing/budget.ts';
import type { PairingService } from './pairing/service.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { Store } from './store/types.ts';
import type { TokenService } from './tokens/service.ts';

// The shapes every layer may name (types only, no code): routes and socket handlers import these,
// never the wiring in services.ts.

/** What every relay instance is built from; tests build these by hand. */
export interface Deps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Resolved secret (env or DATA_DIR); never logged. */
  jwtSecret: string;
}

/** The domain services services.ts wires from Deps. */
export interface Services {
  audit: AuditService;
  homes: HomeService;
  tokens: TokenService;
  grants: GrantService;
  pairing: PairingService;
  /** Wrong-guess budget and locks per home; other code-claiming flows (guest invites) spend it too. */
  pairingBudget: PairingBudget;
  rateLimiter: RateLimiter;
  deviceKeys: DeviceKeyService;
  handshakes: HandshakeGuard;
}
