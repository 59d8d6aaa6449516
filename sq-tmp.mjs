import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const stats = new Map();
const wrap = (proto, name, labelOf) => {
  const orig = proto[name];
  proto[name] = function (...args) {
    const s = process.hrtime.bigint();
    try { return orig.apply(this, args); } finally {
      const label = labelOf(this, args);
      const e = stats.get(label) ?? { n: 0, ns: 0n }; e.n++; e.ns += process.hrtime.bigint() - s; stats.set(label, e);
    }
  };
};
const stmtProto = Object.getPrototypeOf(new Database(':memory:').prepare('select 1'));
for (const m of ['run', 'get', 'all']) wrap(stmtProto, m, (st) => `${m} ${st.source.replace(/\s+/g, ' ').slice(0, 70)}`);
wrap(Database.prototype, 'pragma', (_db, a) => `pragma ${a[0]}`);
wrap(Database.prototype, 'exec', (_db, a) => `exec ${String(a[0]).slice(0, 40)}`);
process.on('SIGTERM', () => {
  const rows = [...stats].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 30);
  for (const [l, e] of rows) process.stderr.write(`${String(e.n).padStart(7)} ${(Number(e.ns) / 1e6).toFixed(1).padStart(8)} ms  ${(Number(e.ns) / e.n / 1000).toFixed(1).padStart(6)} µs  ${l}\n`);
});
