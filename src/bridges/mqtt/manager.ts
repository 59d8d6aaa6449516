import { randomId } from '../../crypto.ts';
import type { Logger } from '../../logger.ts';
import { buildDrivers } from './drivers/index.ts';
import type { BridgeLease } from './lease.ts';
import { type BridgeState, BridgeRunner, type RunnerDeps } from './runner.ts';
import { type BridgeSettings, type BridgeSettingsStore, redactUrl } from './settings.ts';
import type { BridgeDeviceSink } from './sink.ts';

/** What /metrics says about a home's bridge on this instance; `standby`: another instance holds it. */
export type BridgeStatus = BridgeState | 'standby';

export interface ManagerDeps {
  settings: BridgeSettingsStore;
  lease: BridgeLease;
  sink: BridgeDeviceSink;
  logger: Logger;
  instanceId: string;
  z2mBase: string;
  /** Homes that exist: a bridge for a removed home does not run. */
  homeExists: (serial: string) => Promise<boolean>;
  /** How often leases are renewed and settings re-read (CLI changes land within one tick). */
  tickMs: number;
  backoff?: RunnerDeps['backoff'];
}

interface Running {
  runner: BridgeRunner;
  fingerprint: string;
}

/**
 * Starts and stops one runner per home that has a bridge, on whichever instance holds that
 * home's lease. Every tick renews held leases, tries free ones, and follows settings changes.
 */
export class BridgeManager {
  private readonly running = new Map<string, Running>();
  private readonly statuses = new Map<string, BridgeStatus>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: ManagerDeps) {}

  start(): Promise<void> {
    this.timer = setInterval(() => void this.tick(), this.deps.tickMs);
    this.timer.unref();
    return this.tick();
  }

  runnerFor(serial: string): BridgeRunner | undefined {
    const entry = this.running.get(serial);
    return entry && entry.runner.status !== 'stopped' ? entry.runner : undefined;
  }

  /** Per-home bridge state and bridged-device count, for /metrics. */
  snapshot(): { serial: string; status: BridgeStatus; devices: number }[] {
    return [...this.statuses].map(([serial, status]) => ({ serial, status, devices: this.running.get(serial)?.runner.deviceCount ?? 0 }));
  }

  /** One pass, never two at once (a slow store must not start a runner twice). */
  tick(): Promise<void> {
    this.ticking = this.ticking.then(() => this.pass()).catch((err: unknown) => this.deps.logger.warn({ err }, 'mqtt bridge manager pass failed'));
    return this.ticking;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.ticking;
    for (const serial of [...this.running.keys()]) await this.stopRunner(serial, true);
  }

  private async pass(): Promise<void> {
    if (this.closed) return;
    const { settings, lease } = this.deps;
    const wanted = await settings.all();
    for (const serial of [...this.running.keys()]) {
      if (!wanted.has(serial)) await this.stopRunner(serial, true);
    }
    for (const serial of [...this.statuses.keys()]) if (!wanted.has(serial)) this.statuses.delete(serial);
    for (const [serial, bridge] of wanted) {
      if (this.closed) return;
      if (!(await this.deps.homeExists(serial))) {
        if (this.running.has(serial)) await this.stopRunner(serial, true);
        continue;
      }
      const held = await lease.acquire(serial);
      if (!held) {
        if (this.running.has(serial)) {
          this.deps.logger.warn({ serial }, 'mqtt bridge lease lost to another instance; stopping here');
          await this.stopRunner(serial, false);
        }
        this.statuses.set(serial, 'standby');
        continue;
      }
      const fingerprint = JSON.stringify(bridge);
      const current = this.running.get(serial);
      if (current?.fingerprint === fingerprint) continue;
      if (current) await this.stopRunner(serial, false);
      this.startRunner(serial, bridge, fingerprint);
    }
  }

  private startRunner(serial: string, bridge: BridgeSettings, fingerprint: string): void {
    const { sink, logger, instanceId, z2mBase, backoff } = this.deps;
    // Shelly answers RPCs on `<src>/rpc`: a prefix of our own, unique per session.
    const replyPrefix = `home-relay-${instanceId}-${randomId(4)}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const drivers = buildDrivers(bridge.drivers, { replyPrefix, z2mBase });
    const runner = new BridgeRunner({
      serial,
      settings: bridge,
      drivers,
      sink,
      logger,
      instanceId,
      ...(backoff ? { backoff } : {}),
      onState: (state) => this.statuses.set(serial, state),
    });
    this.running.set(serial, { runner, fingerprint });
    logger.info({ serial, url: redactUrl(bridge.url), drivers: bridge.drivers }, 'mqtt bridge starting');
    runner.start();
  }

  private async stopRunner(serial: string, release: boolean): Promise<void> {
    const entry = this.running.get(serial);
    this.running.delete(serial);
    await entry?.runner.stop();
    this.statuses.delete(serial);
    if (release) await this.deps.lease.release(serial).catch(() => undefined);
  }
}
