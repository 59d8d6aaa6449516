import type { Clock } from '../clock.ts';
import { randomId } from '../crypto.ts';

/**
 * Where a socket stands in its home's event log. `epoch` names one run of the log: when the log
 * starts again (a restart of a single node, a Redis log that expired) offsets restart too, and a
 * position from another epoch means nothing.
 */
export interface LogPosition {
  epoch: string;
  offset: number;
}

/** Who received a home event: every kiosk (`toKiosks`), or kiosks and dashboards (`toHome`). */
export type LogAudience = 'kiosks' | 'home';

export interface NewLogEntry {
  event: string;
  payload: unknown;
  audience: LogAudience;
  /** The device a `home` event is about: a guest's dashboard sees it only if its scope names it. */
  deviceId?: string;
}

export interface LogEntry extends NewLogEntry {
  offset: number;
  /** When it was logged (epoch ms, the relay's clock). */
  at: number;
}

/**
 * `gone`: the position is from another epoch, or entries after it were trimmed (too old); `retained`
 * is what the log still holds, which freshens a snapshot read from records written behind.
 */
export type LogRead = { status: 'ok'; position: LogPosition; entries: LogEntry[] } | { status: 'gone'; position: LogPosition; retained: LogEntry[] };

/** A per-home log of delivered events with offsets that only grow, shared by every instance. */
export interface HomeEventLog {
  /** Adds the entry and answers its position; entries older than the window or past the cap go. */
  append(serial: string, entry: NewLogEntry): Promise<LogPosition>;
  /** The entries after `since` (`null`: none, just the current position). */
  read(serial: string, since: LogPosition | null): Promise<LogRead>;
  /** A removed home: its entries and epoch go, so the serial added again starts a new epoch. */
  forget(serial: string): Promise<void>;
}

export interface LogLimits {
  windowMs: number;
  maxEntries: number;
}

/** How far past the cap a log may run before the extra entries are dropped in one go. */
const capSlack = (maxEntries: number) => Math.max(16, maxEntries >> 3);

interface HomeLog {
  epoch: string;
  last: number;
  entries: LogEntry[];
}

/**
 * The single-node log (memory and SQLite stores): in this process only, since only this process
 * holds the home's sockets. A restart starts a new epoch, so every resuming socket gets a resync.
 */
export class MemoryHomeEventLog implements HomeEventLog {
  private readonly homes = new Map<string, HomeLog>();
  private sweptAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly limits: LogLimits,
  ) {}

  async append(serial: string, entry: NewLogEntry): Promise<LogPosition> {
    const log = this.logOf(serial);
    const now = this.clock.now();
    log.last += 1;
    log.entries.push({ ...entry, offset: log.last, at: now });
    this.trim(log, now);
    // Homes gone quiet would keep their last entries forever: once a window, every log is trimmed.
    if (now - this.sweptAt > this.limits.windowMs) {
      this.sweptAt = now;
      for (const other of this.homes.values()) this.trim(other, now);
    }
    return { epoch: log.epoch, offset: log.last };
  }

  /**
   * Drops entries older than the window, and entries past the cap once they are a slack's worth
   * over it: a busy home sits at the cap, and moving a thousand entries down for every append
   * (`splice(0, 1)`) was a visible cost per event. `read` never answers with entries past the cap.
   */
  private trim(log: HomeLog, now: number): void {
    const overCap = log.entries.length - this.limits.maxEntries;
    let drop = overCap > capSlack(this.limits.maxEntries) ? overCap : 0;
    while (drop < log.entries.length && log.entries[drop]!.at < now - this.limits.windowMs) drop += 1;
    if (drop > 0) log.entries.splice(0, drop);
  }

  async read(serial: string, since: LogPosition | null): Promise<LogRead> {
    const log = this.logOf(serial);
    const position = { epoch: log.epoch, offset: log.last };
    if (since === null) return { status: 'ok', position, entries: [] };
    const held = log.entries.slice(Math.max(0, log.entries.length - this.limits.maxEntries));
    const first = held[0]?.offset ?? log.last + 1;
    const from = since.epoch !== log.epoch || since.offset > log.last || since.offset + 1 < first ? null : since.offset + 1 - first;
    const entries = from === null ? held : held.slice(from);
    return from === null ? { status: 'gone', position, retained: entries } : { status: 'ok', position, entries };
  }

  async forget(serial: string): Promise<void> {
    this.homes.delete(serial);
  }

  private logOf(serial: string): HomeLog {
    let log = this.homes.get(serial);
    if (!log) {
      log = { epoch: randomId(9), last: 0, entries: [] };
      this.homes.set(serial, log);
    }
    return log;
  }
}
