import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../deps.ts';
import type { HomeEventLog } from '../store/event-log.ts';
import type { TrustProxy } from './socket-origin.ts';

/** What namespace handlers need: the services they call and how to read a socket's origin. */
export interface RealtimeContext {
  services: Services;
  logger: Logger;
  clock: Clock;
  /** TRUST_PROXY as Express compiled it, so sockets and requests agree on the client's address. */
  trustProxy: TrustProxy;
  /** Each home's delivered events, for sockets that resume after a drop. */
  eventLog: HomeEventLog;
}
