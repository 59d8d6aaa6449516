import type { Clock } from '../clock.ts';
import { isoAt } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { sealAll, type TimedDraft, verifyChain, type ChainVerdict } from './chain.ts';
import type { AuditBackend, AuditDraft, AuditEntry } from './types.ts';

export interface AuditDeps {
  backend: AuditBackend;
  clock: Clock;
  logger: Logger;
  /** Told of each appended entry (the kiosks' live `audit:entry`); absent in the CLI. */
  onEntry?: (serial: string, entry: AuditEntry) => void;
  retentionMs: number;
}

export interface AuditPage {
  entries: AuditEntry[];
  next: number | null;
}

export const MAX_AUDIT_PAGE = 500;
/** How long an entry may wait for others to share its write. */
const BATCH_MS = 10;
const MAX_BATCH = 200;

interface Queue {
  drafts: TimedDraft[];
  timer: NodeJS.Timeout;
}
const VERIFY_PAGE = 500;

/**
 * The per-home, hash-chained audit log. `record` never delays or fails the action it describes:
 * appends run behind it, one home at a time in the order recorded, and a failed append is logged.
 * Readers on this instance wait for what it has recorded so far, so a client reads its own actions.
 */
export class AuditService {
  private readonly pending = new Map<string, Promise<unknown>>();
  /** Drafts waiting for the next write, per home. */
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly deps: AuditDeps) {}

  /**
   * Queues the entry. A home's queue is written when its first entry is BATCH_MS old (or at
   * MAX_BATCH entries): the command's response never waits for the log, and one commit carries
   * every entry of the window, which keeps the command path's cost to a few percent. A crash can
   * lose at most the last BATCH_MS of entries; a graceful shutdown writes them (`settled`).
   */
  record(serial: string, draft: AuditDraft): void {
    let queue = this.queues.get(serial);
    if (!queue) {
      const fresh: Queue = { drafts: [], timer: setTimeout(() => void this.flush(serial), BATCH_MS) };
      this.queues.set(serial, fresh);
      queue = fresh;
    }
    queue.drafts.push({ draft, at: isoAt(this.deps.clock.now()) });
    if (queue.drafts.length >= MAX_BATCH) void this.flush(serial);
  }

  /** Starts writing the home's queued entries now; resolves when everything recorded so far is written. */
  private flush(serial: string): Promise<unknown> {
    const queue = this.queues.get(serial);
    if (queue) {
      clearTimeout(queue.timer);
      this.queues.delete(serial);
      const previous = this.pending.get(serial) ?? Promise.resolve();
      const next = previous.then(() => this.write(serial, queue.drafts));
      this.pending.set(serial, next);
      void next.then(() => {
        if (this.pending.get(serial) === next) this.pending.delete(serial);
      });
    }
    return this.pending.get(serial) ?? Promise.resolve();
  }

  private async write(serial: string, batch: TimedDraft[]): Promise<void> {
    const { backend, logger, onEntry } = this.deps;
    try {
      const entries = await backend.append(serial, sealAll(batch));
      for (const entry of entries) onEntry?.(serial, entry);
    } catch (err) {
      logger.error({ err, serial, entries: batch.length, event: batch[0]?.draft.event }, 'audit entries could not be written');
    }
  }

  /** Resolves when every entry recorded so far on this instance is written (or failed). */
  async settled(serial?: string): Promise<void> {
    if (serial !== undefined) await this.flush(serial);
    else await Promise.all([...new Set([...this.queues.keys(), ...this.pending.keys()])].map((s) => this.flush(s)));
  }

  async list(serial: string, after = 0, limit = 100): Promise<AuditPage> {
    await this.settled(serial);
    const capped = Math.min(Math.max(1, limit), MAX_AUDIT_PAGE);
    const entries = await this.deps.backend.list(serial, after, capped);
    return { entries, next: entries.length === capped ? (entries.at(-1) as AuditEntry).seq : null };
  }

  /** The newest `count` entries, oldest first; `next` is null (page on from the last seq). */
  async latest(serial: string, count: number): Promise<AuditPage> {
    await this.settled(serial);
    return { entries: await this.deps.backend.latest(serial, Math.min(Math.max(1, count), MAX_AUDIT_PAGE)), next: null };
  }

  async verify(serial: string): Promise<ChainVerdict> {
    await this.settled(serial);
    const { backend } = this.deps;
    const anchor = await backend.anchor(serial);
    async function* all(): AsyncGenerator<AuditEntry> {
      let after = 0;
      for (;;) {
        const page = await backend.list(serial, after, VERIFY_PAGE);
        yield* page;
        if (page.length < VERIFY_PAGE) return;
        after = (page.at(-1) as AuditEntry).seq;
      }
    }
    const entries: AuditEntry[] = [];
    for await (const entry of all()) entries.push(entry);
    return verifyChain(entries, anchor);
  }

  /** Drops entries older than AUDIT_RETENTION in every home, keeping each chain verifiable. */
  async prune(): Promise<number> {
    const { backend, clock, retentionMs } = this.deps;
    const before = isoAt(clock.now() - retentionMs);
    let dropped = 0;
    for (const serial of await backend.serials()) {
      await this.settled(serial);
      dropped += await backend.prune(serial, before);
    }
    return dropped;
  }
}
