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
  const log: StatementLog = { executed: [], prepared: [], adHoc: [], commits: 0 };
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
      log.executed.push(sql);
      if (/^COMMIT\b/i.test(sql)) log.commits++;
      else if (!stmt.reader && !transactionControl.test(sql) && !stmt.database.inTransaction) log.commits++;
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
    },
    stop() {
      for (const [target, name, original] of originals.reverse()) target[name] = original;
    },
  };
}
