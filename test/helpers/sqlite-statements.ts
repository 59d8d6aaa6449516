import Database from 'better-sqlite3';

/** What the relay asked SQLite to do while a recording was on. */
export interface StatementLog {
  /** Every statement executed (run/get/all/iterate), by its SQL text, in order. */
  readonly executed: string[];
  /** SQL passed to `prepare` (a hot path should prepare nothing: its statements are made once). */
  readonly prepared: string[];
  /** `exec` and `pragma` calls (each compiles its SQL every time). */
  readonly adHoc: string[];
  /**
   * Durable writes: each COMMIT, plus each writing statement run outside a transaction
   * (autocommit). In WAL mode every one of them is a WAL append and, at synchronous=FULL, an fsync.
   */
  commits: number;
  /**
   * The audit log's own transactions (group-committed entries, written after the response): their
   * statements and commits are kept apart so the request path's cost stays visible on its own.
   */
  readonly audit: string[];
  auditCommits: number;
}

type StatementProto = Record<'run' | 'get' | 'all' | 'iterate', (...args: unknown[]) => unknown>;

const transactionControl = /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

/**
 * Wraps better-sqlite3's Statement and Database prototypes in this process so a test can count
 * what one operation costs. Every Database opened in the process is seen (the store opens its own),
 * so this suits in-process relays. `stop` puts the originals back.
 */
export function recordSqlite(): { log: StatementLog; reset(): void; stop(): void } {
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as StatementProto;
  probe.close();
  const dbProto = Database.prototype as unknown as Record<'prepare' | 'exec' | 'pragma', (...args: unknown[]) => unknown>;
  const log: StatementLog = { executed: [], prepared: [], adHoc: [], commits: 0, audit: [], auditCommits: 0 };
  // Statements of the open transaction, filed when it ends: into `audit` when it wrote the audit log.
  let transaction: string[] | null = null;
  const endTransaction = (sql: string) => {
    const statements = [...(transaction ?? []), sql];
    transaction = null;
    const isAudit = statements.some((s) => /\baudit_(log|anchor)\b/.test(s));
    (isAudit ? log.audit : log.executed).push(...statements);
    if (/^COMMIT\b/i.test(sql)) {
      if (isAudit) log.auditCommits++;
      else log.commits++;
    }
  };
  const originals: [Record<string, unknown>, string, unknown][] = [];
  const wrap = <T extends Record<string, unknown>>(target: T, name: keyof T & string, before: (self: any, args: unknown[]) => void) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    originals.push([target, name, original]);
    (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      before(this, args);
      return original.apply(this, args);
    };
  };
  for (const method of ['run', 'get', 'all', 'iterate'] as const) {
    wrap(statementProto, method, (stmt: { source: string; reader: boolean; database: { inTransaction: boolean } }) => {
      const sql = stmt.source.replace(/\s+/g, ' ').trim();
      if (/^BEGIN\b/i.test(sql)) transaction = [sql];
      else if (/^(COMMIT|ROLLBACK)\b/i.test(sql)) endTransaction(sql);
      else if (transaction) transaction.push(sql);
      else {
        log.executed.push(sql);
        if (!stmt.reader && !transactionControl.test(sql) && !stmt.database.inTransaction) log.commits++;
      }
    });
  }
  wrap(dbProto, 'prepare', (_db, args) => log.prepared.push(String(args[0])));
  wrap(dbProto, 'exec', (_db, args) => log.adHoc.push(String(args[0])));
  wrap(dbProto, 'pragma', (_db, args) => log.adHoc.push(`PRAGMA ${String(args[0])}`));
  return {
    log,
    reset() {
      log.executed.length = 0;
      log.prepared.length = 0;
      log.adHoc.length = 0;
      log.commits = 0;
      log.audit.length = 0;
      log.auditCommits = 0;
      transaction = null;
    },
    stop() {
      for (const [target, name, original] of originals.reverse()) target[name] = original;
    },
  };
}
