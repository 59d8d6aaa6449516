import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import type { DeviceRecord, DeviceState } from './types.ts';

/** A reported state and the domain clock's time of the report (a later durable write wins). */
export interface Reported {
  state: DeviceState;
  at: number;
}

export interface StateFlowDeps {
  /** Token bucket of the fan-out: refill per second, bucket size. */
  rate: { perSecond: number; burst: number };
  /** At most one durable write per device per this many ms. */
  writeEveryMs: number;
  /** Real elapsed time (the bucket and the write spacing); the domain clock may be a test's fake one. */
  ticks: Clock;
  clock: Clock;
  logger: Logger;
  /** The durable write; null when the device is gone. */
  persist(serial: string, deviceId: string, reported: Reported): Promise<DeviceRecord | null>;
  /** Fan-out to the home: `volatile` when a later state will supersede this one anyway. */
  publish(serial: string, record: DeviceRecord, volatile: boolean): void;
}

interface Flow {
  serial: string;
  deviceId: string;
  /** The last record known (written or connected), for the fan-out's name, type, actions. */
  base: DeviceRecord;
  tokens: number;
  refilledAt: number;
  /** The newest report; `unwritten` until a write of it starts, `durable` once one finished. */
  latest: Reported;
  unwritten: boolean;
  durable: Reported | null;
  lastWriteAt: number;
  writeTimer: NodeJS.Timeout | undefined;
  writing: Promise<unknown>;
  /** Writes started and not yet finished. */
  inFlight: number;
  /** A report waits for a token; the latest one goes out when it comes. */
  unpublished: boolean;
  /** The last fan-out was volatile: once the device goes quiet it is sent again, reliably. */
  settleDue: boolean;
  fanTimer: NodeJS.Timeout | undefined;
}

/**
 * One device flooding `state` must cost neither unbounded memory nor a disk write per message:
 * fan-out is a token bucket per device and above it only the latest state goes out (volatile:
 * a dashboard whose socket is busy skips it, the next one supersedes it, and once the device is
 * quiet its final state is sent once more, reliably); durable writes are at most one per device
 * per `writeEveryMs`, the newest state winning, flushed when the device disconnects and on shutdown.
 */
export class StateFlow {
  private readonly flows = new Map<string, Flow>();

  constructor(private readonly deps: StateFlowDeps) {}

  /** The device connected (or was re-read): later reports build on this record. */
  track(serial: string, record: DeviceRecord): void {
    const flow = this.flows.get(key(serial, record.id));
    if (flow) flow.base = record;
  }

  /** The freshest state this instance knows, newer than the store's by at most `writeEveryMs`. */
  overlay(serial: string, record: DeviceRecord): DeviceRecord {
    const flow = this.flows.get(key(serial, record.id));
    return flow && flow.latest !== flow.durable ? { ...record, state: flow.latest.state, updatedAt: new Date(flow.latest.at).toISOString() } : record;
  }

  /**
   * A state report. Resolves once it is durable when it was written at once (a device within its
   * rate sees the same thing as before); a coalesced report resolves at once.
   */
  async report(serial: string, base: () => Promise<DeviceRecord | null>, deviceId: string, state: DeviceState): Promise<void> {
    const now = this.deps.ticks.now();
    let flow = this.flows.get(key(serial, deviceId));
    if (!flow) {
      const record = await base();
      if (!record) return;
      flow = this.flows.get(key(serial, deviceId)) ?? this.create(serial, record, now);
    }
    flow.latest = { state, at: this.deps.clock.now() };
    flow.unwritten = true;
    this.fanOut(flow, now);
    if (flow.writeTimer) return;
    const wait = flow.lastWriteAt + this.deps.writeEveryMs - now;
    if (wait <= 0) return this.write(flow);
    flow.writeTimer = setTimeout(() => void this.write(flow), wait);
    flow.writeTimer.unref();
  }

  /** Whatever is not yet durable is written now; the device's flow ends (a disconnect, a removal). */
  async flush(serial: string, deviceId: string): Promise<void> {
    const flow = this.flows.get(key(serial, deviceId));
    if (!flow) return;
    this.flows.delete(key(serial, deviceId));
    clearTimeout(flow.fanTimer);
    await this.write(flow);
  }

  /** A newer state was written by someone else (a command's reply): nothing older may overwrite it. */
  superseded(serial: string, record: DeviceRecord): void {
    const flow = this.flows.get(key(serial, record.id));
    if (!flow) return;
    flow.base = record;
    flow.unpublished = false;
    clearTimeout(flow.writeTimer);
    flow.writeTimer = undefined;
    const reply: Reported = { state: record.state, at: Date.parse(record.updatedAt) };
    flow.latest = reply;
    // An older coalesced write still on its way would land after the reply: write the reply again behind it.
    if (flow.inFlight > 0) {
      flow.unwritten = true;
      void this.write(flow);
    } else {
      flow.unwritten = false;
      flow.durable = reply;
    }
  }

  /** The device was removed: drop its pending state without writing it. */
  forget(serial: string, deviceId: string): void {
    const flow = this.flows.get(key(serial, deviceId));
    if (!flow) return;
    clearTimeout(flow.writeTimer);
    clearTimeout(flow.fanTimer);
    this.flows.delete(key(serial, deviceId));
  }

  /** Shutdown: every device's latest state reaches the store. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.flows.values()].map((f) => this.flush(f.serial, f.deviceId)));
  }

  private create(serial: string, record: DeviceRecord, now: number): Flow {
    const stored: Reported = { state: record.state, at: Date.parse(record.updatedAt) };
    const flow: Flow = {
      serial,
      deviceId: record.id,
      base: record,
      tokens: this.deps.rate.burst,
      refilledAt: now,
      latest: stored,
      unwritten: false,
      durable: stored,
      lastWriteAt: -Infinity,
      writeTimer: undefined,
      writing: Promise.resolve(),
      inFlight: 0,
      unpublished: false,
      settleDue: false,
      fanTimer: undefined,
    };
    this.flows.set(key(serial, record.id), flow);
    return flow;
  }

  private write(flow: Flow): Promise<void> {
    clearTimeout(flow.writeTimer);
    flow.writeTimer = undefined;
    if (!flow.unwritten) return flow.writing.then(() => undefined);
    flow.unwritten = false;
    flow.lastWriteAt = this.deps.ticks.now();
    const reported = flow.latest;
    flow.inFlight++;
    // Writes of one device never overlap: each waits for the one before.
    const done = flow.writing
      .then(() => this.deps.persist(flow.serial, flow.deviceId, reported))
      .then((record) => {
        flow.durable = reported;
        if (record) flow.base = record;
      })
      .catch((err: unknown) => {
        this.deps.logger.warn({ err, serial: flow.serial, deviceId: flow.deviceId }, 'device state could not be stored');
        flow.unwritten = true;
      })
      .finally(() => flow.inFlight--);
    flow.writing = done;
    return done;
  }

  private refill(flow: Flow, now: number): void {
    const { perSecond, burst } = this.deps.rate;
    flow.tokens = Math.min(burst, flow.tokens + ((now - flow.refilledAt) * perSecond) / 1000);
    flow.refilledAt = now;
  }

  private fanOut(flow: Flow, now: number): void {
    if (flow.fanTimer) {
      flow.unpublished = true;
      return;
    }
    this.refill(flow, now);
    if (flow.tokens >= 1) {
      flow.tokens -= 1;
      this.publish(flow, false);
      return;
    }
    flow.unpublished = true;
    this.scheduleTick(flow);
  }

  /** While a device is over its rate: one fan-out per token, then one reliable settle when it goes quiet. */
  private scheduleTick(flow: Flow): void {
    const wait = Math.ceil(((1 - flow.tokens) * 1000) / this.deps.rate.perSecond);
    flow.fanTimer = setTimeout(() => {
      flow.fanTimer = undefined;
      this.refill(flow, this.deps.ticks.now());
      if (flow.unpublished) {
        flow.tokens = Math.max(0, flow.tokens - 1);
        this.publish(flow, true);
        this.scheduleTick(flow);
      } else if (flow.settleDue) {
        this.publish(flow, false);
      }
    }, Math.max(1, wait));
    flow.fanTimer.unref();
  }

  private publish(flow: Flow, volatile: boolean): void {
    flow.unpublished = false;
    flow.settleDue = volatile;
    const record = { ...flow.base, state: flow.latest.state, updatedAt: new Date(flow.latest.at).toISOString() };
    this.deps.publish(flow.serial, record, volatile);
  }
}

const key = (serial: string, deviceId: string) => `${serial}\u0000${deviceId}`;
