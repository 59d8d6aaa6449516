import { isoAt } from '../clock.ts';
import type { Clock, Timer } from '../clock.ts';
import { randomId } from '../crypto.ts';
import type { Logger } from '../logger.ts';
import type { PubSub, Unsubscribe } from '../store/types.ts';
import { level, nextStep, type QrSession, streamRefusal } from './rules.ts';
import { channelOf, linksOf, type QrService, sessionRef } from './service.ts';

/** Where a stream writes; the transport (SSE today) implements it. */
export interface QrSink {
  send(event: string, data: unknown, id?: string): void;
  end(): void;
}

export interface QrStreamDeps {
  qr: QrService;
  pubsub: PubSub;
  clock: Clock;
  logger: Logger;
  pingIntervalMs: number;
  /** How often a pending session's scan id is rotated while this stream watches it. */
  scanRotationMs: number;
}

/**
 * How a stream start went: `completed` = the result was already delivered (to this or another
 * stream); `delivered` = the client's Last-Event-ID shows it has the outcome; `busy` = the
 * session already has its maximum of open streams.
 */
export type StartOutcome = 'open' | 'not_found' | 'completed' | 'delivered' | 'busy' | 'closed';

export interface LiveCounts {
  streams: number;
  timers: number;
  subscriptions: number;
}

/** Two: the browser's stream and one reconnect overlapping it. Anything more is a watcher too many. */
export const MAX_STREAMS_PER_SESSION = 2;

/** A lease outlives three missed renewals, so a crashed instance's streams free their slots soon. */
export const leaseTtlOf = (pingIntervalMs: number) => Math.max(3 * pingIntervalMs, 3000);

/**
 * One client watching one session. It subscribes before it reads, so no change can fall between
 * the read and the subscription; every notice (and every ping tick) re-reads the record, and the
 * progress level makes repeated reads harmless. When the record says approved, the stream tries
 * the store's deliver-once step; only the winner writes COMPLETE. Expiry and scan-id rotation
 * are domain time and run on the injected clock (a test moves it and they fire); the ping is a
 * transport keep-alive for proxies and browsers, which only real time means anything to.
 */
export class QrStream {
  private seen: number;
  private sink: QrSink | undefined;
  private unsubscribe: Unsubscribe | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private expiryTimer: Timer | undefined;
  private rotateTimer: Timer | undefined;
  /** The scan id this stream's client was last told (create response or a QR event). */
  private scanId: string | undefined;
  private closed = false;
  private leased = false;
  private delivering = false;
  /** A notice arrived before the sink opened; re-read once it has. */
  private missed = false;
  private readonly leaseId = randomId(9);
  private readonly leaseTtlMs: number;

  constructor(
    private readonly id: string,
    lastSeen: number,
    private readonly deps: QrStreamDeps,
    private readonly onDispose: (stream: QrStream) => void,
  ) {
    this.seen = lastSeen;
    this.leaseTtlMs = leaseTtlOf(deps.pingIntervalMs);
  }

  /** Opens the sink (via `open`) only when the session exists and has something left to say. */
  async start(open: () => QrSink): Promise<StartOutcome> {
    try {
      const unsubscribe = await this.deps.pubsub.subscribe(channelOf(this.id), () => void this.sync());
      if (this.closed) {
        unsubscribe();
        return 'closed';
      }
      this.unsubscribe = unsubscribe;
      const session = await this.deps.qr.read(this.id);
      if (this.closed) return 'closed';
      const refusal = streamRefusal(session, this.seen);
      // `!session` is always refused already; checking it again only tells the compiler.
      if (refusal || !session) return this.stop(refusal ?? 'not_found');
      this.leased = await this.hold();
      if (this.closed) return 'closed';
      if (!this.leased) return this.stop('busy');
      this.sink = open();
      this.sink.send('CONNECT', { expiresAt: isoAt(session.expiresAt) }, String(Math.max(this.seen, level.connected)));
      this.seen = Math.max(this.seen, level.connected);
      // A session whose scan id rotated since creation: this client may hold an old QR, so announce it.
      this.scanId = session.scanIssuedAt === session.createdAt ? session.scanId : undefined;
      this.schedule(session.expiresAt);
      this.apply(session);
      if (this.missed && !this.closed) void this.sync();
      return this.closed ? 'closed' : 'open';
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Client gone or server closing: ends the sink and releases the timers, lease and subscription. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    this.expiryTimer?.cancel();
    this.rotateTimer?.cancel();
    this.pingTimer = undefined;
    this.expiryTimer = undefined;
    this.rotateTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.leased) {
      this.leased = false;
      // A lease that cannot be released (store down) lapses by itself within leaseTtl.
      this.deps.qr.releaseStream(this.id, this.leaseId).catch(() => undefined);
    }
    this.sink?.end();
    this.onDispose(this);
  }

  counts(): LiveCounts {
    return {
      streams: 1,
      timers: (this.pingTimer ? 1 : 0) + (this.expiryTimer ? 1 : 0) + (this.rotateTimer ? 1 : 0),
      subscriptions: this.unsubscribe ? 1 : 0,
    };
  }

  private stop(outcome: StartOutcome): StartOutcome {
    this.close();
    return outcome;
  }

  private hold(): Promise<boolean> {
    return this.deps.qr.holdStream(this.id, this.leaseId, this.deps.clock.now() + this.leaseTtlMs, MAX_STREAMS_PER_SESSION);
  }

  private schedule(expiresAt: number): void {
    // Real time on purpose: the ping keeps idle proxies and browsers from dropping the connection.
    this.pingTimer = setInterval(() => {
      this.sink?.send('ping', { time: isoAt(this.deps.clock.now()) });
      this.hold().catch(() => undefined);
      // Each tick also re-reads: a lost pub/sub notice is caught within one interval.
      void this.sync();
    }, this.deps.pingIntervalMs);
    // The rotation lands as a store change, which every stream of the session announces as QR.
    this.rotateTimer = this.deps.clock.setInterval(() => {
      if (this.scanId && !this.closed) {
        this.deps.qr.rotate(this.id, this.scanId).catch((err) => this.deps.logger.warn({ err, session: sessionRef(this.id) }, 'qr scan id rotation failed'));
      }
    }, this.deps.scanRotationMs);
    this.armExpiry(expiresAt);
  }

  private armExpiry(expiresAt: number): void {
    // Due at the instant the session stops being live (`expiresAt > now`). Real timers run on a
    // monotonic clock and may fire a hair before Date.now() gets there: then wait out the rest.
    this.expiryTimer = this.deps.clock.setTimeout(() => {
      this.expiryTimer = undefined;
      if (this.closed) return;
      if (this.deps.clock.now() < expiresAt) return this.armExpiry(expiresAt);
      void this.sync();
    }, expiresAt - this.deps.clock.now());
  }

  private async sync(): Promise<void> {
    if (this.closed) return;
    if (!this.sink) {
      this.missed = true;
      return;
    }
    let session: QrSession | null;
    try {
      session = await this.deps.qr.read(this.id);
    } catch (err) {
      // The store is unreachable; keep the stream and try again on the next tick.
      this.deps.logger.warn({ err, session: sessionRef(this.id) }, 'qr stream could not read its session');
      return;
    }
    this.apply(session);
  }

  private apply(session: QrSession | null): void {
    // While this stream holds the claim, the record says `completed` because of it: not a reason to end.
    if (this.closed || !this.sink || this.delivering) return;
    if (session?.status === 'pending' && session.scanId !== this.scanId) {
      // A new QR to show; no event id: it is not progress, and a reconnect gets the current one anyway.
      this.scanId = session.scanId;
      this.sink.send('QR', { scanId: session.scanId, ...linksOf(session.baseUrl, session.id, session.scanId) });
    }
    const step = nextStep(session, this.seen, this.deps.clock.now());
    for (const event of step.events) {
      this.sink.send(event.name, event.data, String(event.level));
      this.seen = event.level;
    }
    if (step.afterwards === 'end') this.close();
    else if (step.afterwards === 'deliver') void this.deliver();
  }

  /** Tries the deliver-once step; a stream that loses it ends without tokens. */
  private async deliver(): Promise<void> {
    if (this.delivering || this.closed) return;
    this.delivering = true;
    try {
      const outcome = await this.deps.qr.deliver(this.id, () => !this.closed);
      if (outcome.kind === 'complete') {
        this.sink?.send('COMPLETE', outcome.data, String(level.final));
        this.seen = level.final;
        this.close();
      } else if (outcome.kind === 'completed') this.close();
      else if (outcome.kind === 'denied' || outcome.kind === 'none') {
        this.delivering = false;
        await this.sync();
      }
    } catch (err) {
      // Minting failed (store trouble); the claim was given back and the next tick tries again.
      this.deps.logger.warn({ err, session: sessionRef(this.id) }, 'qr stream could not deliver its result');
    } finally {
      this.delivering = false;
    }
  }
}

/** Every open stream of this instance: counted for leak checks, ended on shutdown. */
export class QrStreams {
  private readonly live = new Set<QrStream>();

  constructor(private readonly deps: QrStreamDeps) {}

  create(id: string, lastSeen: number): QrStream {
    const stream = new QrStream(id, lastSeen, this.deps, (s) => this.live.delete(s));
    this.live.add(stream);
    return stream;
  }

  /**
   * What opening a stream would come to, without opening one: no lease, no subscription, no
   * delivery. A HEAD must never take a slot or collect the result meant for the browser's GET.
   */
  async probe(id: string, lastSeen: number): Promise<Exclude<StartOutcome, 'closed'>> {
    const refusal = streamRefusal(await this.deps.qr.read(id), lastSeen);
    if (refusal) return refusal;
    return (await this.deps.qr.openStreams(id)) >= MAX_STREAMS_PER_SESSION ? 'busy' : 'open';
  }

  counts(): LiveCounts {
    const total: LiveCounts = { streams: 0, timers: 0, subscriptions: 0 };
    for (const stream of this.live) {
      const c = stream.counts();
      total.streams += c.streams;
      total.timers += c.timers;
      total.subscriptions += c.subscriptions;
    }
    return total;
  }

  closeAll(): void {
    for (const stream of [...this.live]) stream.close();
  }
}
