import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../services.ts';

/** What namespace handlers need: the services they call and how to read a socket's origin. */
export interface RealtimeContext {
  services: Services;
  logger: Logger;
  clock: Clock;
  /** TRUST_PROXY set: the first X-Forwarded-For hop is the client. */
  trustProxy: boolean;
}
