import type Database from 'better-sqlite3';
import { emptyHead } from './chain.ts';
import { readStoredEntry } from './stored-entry.ts';
import type { AuditBackend, AuditEntry, ChainBuilder, ChainHead } from './types.ts';

interface StoredRow {
  seq: number;
  entry: string;
}

/**
 * One table, keyed (and so indexed) by home and seq. The entry is kept as the JSON that was
 * hashed, with `at` beside it for pruning. Where pruning cut the chain, the last pruned entry's
 * seq and hash stay in `audit_anchor`, so verification can tell pruning from a deleted row.
 * (Tables: src/store/sqlite-migrations.ts, version 4.)
 */
export class SqliteAuditBackend implements AuditBackend {
  private readonly q;

  constructor(private readonly db: Database.Database) {
    this.q = {
      last: db.prepare('SELECT seq, entry FROM audit_log WHERE serial = ? ORDER BY seq DESC LIMIT 1'),
      insert: db.prepare('INSERT INTO audit_log (serial, seq, at, entry) VALUES (?, ?, ?, ?)'),
      after: db.prepare('SELECT seq, entry FROM audit_log WHERE serial = ? AND seq > ? ORDER BY seq LIMIT ?'),
      anchor: db.prepare('SELECT seq, hash FROM audit_anchor WHERE serial = ?'),
      latest: db.prepare('SELECT seq, entry FROM audit_log WHERE serial = ? ORDER BY seq DESC LIMIT ?'),
      putAnchor: db.prepare(
        'INSERT INTO audit_anchor (serial, seq, hash) VALUES (?, ?, ?) ON CONFLICT(serial) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      ),
      lastBefore: db.prepare(
        `SELECT seq, entry FROM audit_log WHERE serial = ? AND at < ? AND seq < (SELECT MAX(seq) FROM audit_log WHERE serial = ?)
         ORDER BY seq DESC LIMIT 1`,
      ),
      deleteUpTo: db.prepare('DELETE FROM audit_log WHERE serial = ? AND seq <= ?'),
      serials: db.prepare('SELECT DISTINCT serial FROM audit_log'),
    };
  }

  async append(serial: string, build: ChainBuilder): Promise<AuditEntry[]> {
    // IMMEDIATE takes the write lock before reading the head: a CLI process appending at the same
    // moment waits instead of forking the chain. One commit for the whole batch.
    return this.db.transaction((): AuditEntry[] => {
      const row = this.q.last.get(serial) as StoredRow | undefined;
      // The seq column, not the JSON, says where the chain goes on (an edited row cannot fork it).
      const last = row ? { seq: row.seq, hash: readStoredEntry(row.entry, row.seq).hash } : null;
      const entries = build(last ?? emptyHead);
      for (const entry of entries) this.q.insert.run(serial, entry.seq, entry.at, JSON.stringify(entry));
      return entries;
    }).immediate();
  }

  async list(serial: string, after: number, limit: number): Promise<AuditEntry[]> {
    return (this.q.after.all(serial, after, limit) as StoredRow[]).map((r) => readStoredEntry(r.entry, r.seq));
  }

  async latest(serial: string, count: number): Promise<AuditEntry[]> {
    return (this.q.latest.all(serial, count) as StoredRow[]).map((r) => readStoredEntry(r.entry, r.seq)).reverse();
  }

  async anchor(serial: string): Promise<ChainHead | null> {
    return (this.q.anchor.get(serial) as ChainHead | undefined) ?? null;
  }

  async prune(serial: string, before: string): Promise<number> {
    return this.db.transaction((): number => {
      const row = this.q.lastBefore.get(serial, before, serial) as StoredRow | undefined;
      if (!row) return 0;
      const cut = readStoredEntry(row.entry, row.seq);
      this.q.putAnchor.run(serial, cut.seq, cut.hash);
      return this.q.deleteUpTo.run(serial, cut.seq).changes;
    }).immediate();
  }

  async serials(): Promise<string[]> {
    return (this.q.serials.all() as { serial: string }[]).map((r) => r.serial);
  }
}
