/** Past this many cached reads (serials that were asked about) the cache starts over. */
const MAX_ENTRIES = 1000;

/**
 * Home rows read by this connection, kept until they could have changed: until this connection
 * writes a home (the store calls `invalidate()`) or any other connection commits anything (the
 * `relay` CLI is another process; SQLite's `data_version` changes only for other connections'
 * commits, and the checkpointer commits nothing).
 *
 * Why: every pairing request and every token check reads its home ("the only home" for a request
 * without a serial). In the server those are the first statement of a read transaction, run with
 * cold CPU caches between HTTP and Socket.IO work: ~80 µs each, measured in place. `data_version`
 * is a counter read, ~4× cheaper than the smallest SELECT in the same conditions.
 */
export class SqliteHomeCache {
  private version: number | undefined;
  private readonly entries = new Map<string, unknown>();

  /** `dataVersion` reads SQLite's `data_version` on the connection whose reads are cached. */
  constructor(private readonly dataVersion: () => number) {}

  /** The cached result for `key`, or `load()`'s, cached until a home may have changed. */
  read<T>(key: string, load: () => T): T {
    const version = this.dataVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    if (this.entries.has(key)) return this.entries.get(key) as T;
    const value = load();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
    return value;
  }

  /** This connection wrote a home (even in a transaction that may roll back: dropping is always safe). */
  invalidate(): void {
    this.entries.clear();
  }
}
