import { emptyHead } from './chain.ts';
import type { AuditBackend, AuditEntry, ChainBuilder, ChainHead } from './types.ts';

interface HomeLog {
  entries: AuditEntry[];
  anchor: ChainHead | null;
}

/** The log in arrays; each call runs in one JS turn, so appends never interleave. */
export class MemoryAuditBackend implements AuditBackend {
  private readonly logs = new Map<string, HomeLog>();

  async append(serial: string, build: ChainBuilder): Promise<AuditEntry[]> {
    const log = this.logOf(serial);
    const last = log.entries.at(-1);
    const entries = build(last ? { seq: last.seq, hash: last.hash } : (log.anchor ?? emptyHead));
    // Entries are never changed after sealing; copies are handed out on reads only.
    log.entries.push(...entries);
    return entries;
  }

  async list(serial: string, after: number, limit: number): Promise<AuditEntry[]> {
    const entries = this.logs.get(serial)?.entries ?? [];
    return entries.filter((e) => e.seq > after).slice(0, limit).map((e) => structuredClone(e));
  }

  async latest(serial: string, count: number): Promise<AuditEntry[]> {
    return (this.logs.get(serial)?.entries ?? []).slice(-count).map((e) => structuredClone(e));
  }

  async anchor(serial: string): Promise<ChainHead | null> {
    return this.logs.get(serial)?.anchor ?? null;
  }

  async prune(serial: string, before: string): Promise<number> {
    const log = this.logs.get(serial);
    if (!log) return 0;
    let drop = 0;
    while (drop < log.entries.length - 1 && (log.entries[drop] as AuditEntry).at < before) drop++;
    if (drop === 0) return 0;
    const lastDropped = log.entries[drop - 1] as AuditEntry;
    log.anchor = { seq: lastDropped.seq, hash: lastDropped.hash };
    log.entries.splice(0, drop);
    return drop;
  }

  async serials(): Promise<string[]> {
    return [...this.logs.keys()];
  }

  private logOf(serial: string): HomeLog {
    let log = this.logs.get(serial);
    if (!log) {
      log = { entries: [], anchor: null };
      this.logs.set(serial, log);
    }
    return log;
  }
}
