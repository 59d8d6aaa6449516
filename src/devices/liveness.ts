import type { Clock, Timer } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { KeyValueStore } from '../store/types.ts';
import { keys } from '../store/keys.ts';

const INDEX_KEY = keys.instanceIndex;
const beatKey = keys.instanceBeat;
const sweptKey = keys.instanceSwept;
/** How long liveness records are kept by the store; refreshed on every beat. */
const KEEP_MS = 24 * 3600_000;

export interface LivenessOptions {
  store: KeyValueStore;
  logger: Logger;
  /** The store's clock (record expiry). */
  clock: Clock;
  /**
   * Real time, for heartbeats: a crashed process stops the real clock's beats, whatever a test's
   * fake clock says. Instances compare each other's stamps, so their clocks must be NTP-close.
   */
  realClock: Clock;
  instanceId: string;
  /** Another instance stopped beating: whatever it held is gone. Called on one instance only. */
  onDead(instanceId: string): Promise<void>;
  /** This instance was declared dead (it stalled) but is alive: re-announce what it holds. */
  onRevived(): Promise<void>;
  heartbeatMs?: number;
  deadAfterMs?: number;
}

/**
 * Instance liveness in the shared store, for device presence across instances. A device socket
 * lives on one instance; when that process dies without a goodbye (crash, kill -9, lost host),
 * no disconnect handler runs and the registry would keep the device "online". Every instance
 * beats every `heartbeatMs`; one that has not beaten for `deadAfterMs` is claimed atomically by
 * one survivor, which marks its devices offline.
 */
export class InstanceLiveness {
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private timer: Timer | undefined;
  /** Real time since which our own beats have succeeded without a gap; null after a failure. */
  private healthySince: number | null = null;
  private ticking = false;
  private closed = false;

  constructor(private readonly options: LivenessOptions) {
    this.heartbeatMs = options.heartbeatMs ?? 1500;
    this.deadAfterMs = options.deadAfterMs ?? 5000;
  }

  async start(): Promise<void> {
    await this.tick();
    if (this.closed) return;
    this.timer = this.options.realClock.setInterval(() => void this.tick(), this.heartbeatMs);
  }

  /** Stops beating. The record stays: a graceful stop's sockets say goodbye themselves, and if they could not, the survivors sweep. */
  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One beat and, when we have been healthy long enough to judge, one sweep. Never throws. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.beat();
      const now = this.options.realClock.now();
      this.healthySince ??= now;
      // After our own outage (Redis away) everyone's beats are stale: judge others only once they
      // have had a full window to beat again, or a Redis blip would declare every instance dead.
      if (now - this.healthySince >= this.deadAfterMs) await this.sweep(now);
    } catch (err) {
      this.healthySince = null;
      this.options.logger.debug({ err }, 'instance heartbeat failed');
    } finally {
      this.ticking = false;
    }
  }

  private async beat(): Promise<void> {
    const { store, clock, realClock, instanceId } = this.options;
    const keep = clock.now() + KEEP_MS;
    await store.set(beatKey(instanceId), { at: realClock.now() }, keep);
    await store.update<string[], void>(INDEX_KEY, (ids) => ({
      next: ids?.includes(instanceId) ? ids : [...(ids ?? []), instanceId],
      expiresAt: keep,
      result: undefined,
    }));
    if (await store.del(sweptKey(instanceId))) {
      this.options.logger.warn({ instanceId }, 'this instance was taken for dead (it stalled); re-announcing its devices');
      await this.options.onRevived();
    }
  }

  private async sweep(now: number): Promise<void> {
    const { store, clock, instanceId } = this.options;
    const ids = (await store.get<string[]>(INDEX_KEY)) ?? [];
    for (const other of ids) {
      if (other === instanceId) continue;
      const beat = await store.get<{ at: number }>(beatKey(other));
      if (beat && now - beat.at < this.deadAfterMs) continue;
      // Exactly one survivor wins the claim, so the dead instance's devices are announced once.
      const claimed = await store.update<string[], boolean>(INDEX_KEY, (current) =>
        current?.includes(other) ? { next: current.filter((id) => id !== other), result: true } : { result: false },
      );
      if (!claimed) continue;
      await store.del(beatKey(other));
      await store.set(sweptKey(other), true, clock.now() + KEEP_MS);
      this.options.logger.warn({ instanceId: other, lastBeat: beat?.at }, 'relay instance stopped beating; marking its devices offline');
      await this.options.onDead(other);
    }
  }
}
