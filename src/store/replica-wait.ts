import type { Clock } from '../clock.ts';

/** How long a shard that answered WAIT with fewer replicas is waited for with only that many. */
export const SHORT_SHARD_MEMORY_MS = 10_000;
/** WAIT's own timeout: a write stands after this even when no replica confirmed it. */
export const WAIT_TIMEOUT_MS = 500;

/**
 * Decides how many replicas to WAIT for on a cluster shard. The client's slot map does not list
 * replicas (node-redis fills them in only with `useReplicas`, which would also send reads to them),
 * so the count cannot be read up front: every shard is asked for the configured number, and one that
 * confirms fewer (a promoted replica standing alone, a replica resyncing) is asked only for what it
 * confirmed for the next 10 s. Without that memory each write to such a shard would sit out the full
 * 500 ms timeout; with it, one write per shard per 10 s does, and then the full count is tried again.
 */
export class ReplicaWaitPolicy {
  private readonly short = new Map<string, { replicas: number; until: number }>();

  constructor(
    private readonly wanted: number,
    private readonly clock: Clock,
  ) {}

  /** Replicas to wait for on the shard at `address` now (0: send no WAIT). */
  replicasFor(address: string | undefined): number {
    if (address === undefined) return this.wanted;
    const known = this.short.get(address);
    if (known === undefined) return this.wanted;
    if (known.until <= this.clock.now()) {
      this.short.delete(address);
      return this.wanted;
    }
    return known.replicas;
  }

  /** Records what the shard at `address` confirmed for a WAIT that asked for `asked`. */
  confirmed(address: string | undefined, asked: number, acked: number): void {
    if (address === undefined) return;
    if (acked >= asked) {
      // A shard back at full strength is asked for the full count again at once.
      if (asked >= this.wanted) this.short.delete(address);
      return;
    }
    this.short.set(address, { replicas: Math.max(0, acked), until: this.clock.now() + SHORT_SHARD_MEMORY_MS });
  }
}
