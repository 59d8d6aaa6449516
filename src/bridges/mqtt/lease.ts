import type { Clock } from '../../clock.ts';
import type { KeyValueStore } from '../../store/types.ts';
import { keys } from '../../store/keys.ts';

interface LeaseRecord {
  holder: string;
  /** Real time (epoch ms) until which the holder may run the bridge without renewing. */
  until: number;
}

const leaseKey = keys.mqttLease;
/** The record itself outlives its `until` (which decides) so a stale holder is still visible in the store. */
const KEEP_MS = 24 * 3600_000;

export interface LeaseOptions {
  store: KeyValueStore;
  /** The store's clock (record expiry). */
  clock: Clock;
  /** Real time: a SIGKILLed holder stops renewing whatever a test's fake clock says. */
  realClock: Clock;
  instanceId: string;
  /** How long a lease lasts without renewal. Takeover after a crash takes at most ttl + one renew interval. */
  ttlMs: number;
}

/**
 * Exactly one instance runs each home's bridge: a lease record in the shared store, taken and
 * renewed with the store's atomic update, so two instances never both believe they hold it.
 * A holder that dies stops renewing and the next instance to try after `until` takes over.
 */
export class BridgeLease {
  constructor(private readonly options: LeaseOptions) {}

  /** Takes the lease when free or expired, renews it when ours; true when we hold it afterwards. */
  acquire(serial: string): Promise<boolean> {
    const { store, clock, realClock, instanceId, ttlMs } = this.options;
    const now = realClock.now();
    const expiresAt = clock.now() + KEEP_MS;
    return store.update<LeaseRecord, boolean>(leaseKey(serial), (current) => {
      if (current && current.holder !== instanceId && current.until > now) return { result: false };
      return { next: { holder: instanceId, until: now + ttlMs }, expiresAt, result: true };
    });
  }

  /** Gives the lease up (clean shutdown, bridge removed) so another instance need not wait for expiry. */
  release(serial: string): Promise<void> {
    const { store, instanceId } = this.options;
    return store.update<LeaseRecord, void>(leaseKey(serial), (current) =>
      current?.holder === instanceId ? { next: null, result: undefined } : { result: undefined },
    );
  }

  /** The instance currently holding the home's lease, or null when nobody (alive) does. */
  async holder(serial: string): Promise<string | null> {
    const record = await this.options.store.get<LeaseRecord>(leaseKey(serial));
    return record && record.until > this.options.realClock.now() ? record.holder : null;
  }
}

export const homeLeaseKey = leaseKey;
