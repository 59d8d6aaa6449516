import { isCluster, type RedisClient } from '../store/redis-connection.ts';
import { runScript, type Script, script } from '../store/redis-scripts.ts';
import { emptyHead, GENESIS } from './chain.ts';
import { readStoredEntry } from './stored-entry.ts';
import type { AuditBackend, AuditEntry, ChainBuilder, ChainHead } from './types.ts';

/**
 * Compare-and-append. KEYS: stream, head hash, serial set; ARGV: expected seq, expected hash,
 * GENESIS, serial, new head seq, new head hash, then each entry's seq and JSON. The hashes are
 * computed in JS; the script only checks that the chain's head is still the one the batch was
 * built on, so two instances never fork it. Returns {1} when appended, else {0, seq, hash} of
 * the real head to build on. On a Redis Cluster the serial set is another slot: it is left out
 * of KEYS and written just before (an index entry whose stream is not there yet is harmless).
 */
const appendScript: Script = script(`
local seq = redis.call('HGET', KEYS[2], 'seq') or '0'
local hash = redis.call('HGET', KEYS[2], 'hash') or ARGV[3]
if seq ~= ARGV[1] or hash ~= ARGV[2] then return {0, seq, hash} end
for i = 7, #ARGV, 2 do
  redis.call('XADD', KEYS[1], ARGV[i] .. '-1', 'e', ARGV[i + 1])
end
redis.call('HSET', KEYS[2], 'seq', ARGV[5], 'hash', ARGV[6])
if KEYS[3] then redis.call('SADD', KEYS[3], ARGV[4]) end
return {1}
`);

/** Gives up after this many lost races (only under absurd contention). */
const MAX_APPEND_ATTEMPTS = 50;
/** Pruning reads the stream in pages of this many entries. */
const PRUNE_PAGE = 500;

/**
 * A stream per home (`XADD` with the entry's seq as the id, so `after` is a range read), the
 * chain head in a hash beside it, the pruning anchor in another.
 */
export class RedisAuditBackend implements AuditBackend {
  /** The head this instance last saw, per home: the first attempt usually needs no extra read. */
  private readonly heads = new Map<string, ChainHead>();

  constructor(
    private readonly client: RedisClient,
    private readonly key: (...parts: string[]) => string,
    /** Keys a home owns (hash-tagged by serial on a cluster, so its stream, head and anchor share a slot). */
    private readonly homeKey: (kind: string, serial: string) => string = (kind, serial) => key(kind, serial),
  ) {}

  async append(serial: string, build: ChainBuilder): Promise<AuditEntry[]> {
    let head = this.heads.get(serial) ?? emptyHead;
    for (let attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
      const entries = build(head);
      const last = entries.at(-1);
      if (!last) return entries;
      const cluster = isCluster(this.client);
      if (cluster) await this.client.sAdd(this.key('audit-homes'), serial);
      const keys = [this.homeKey('audit', serial), this.homeKey('audit-head', serial), ...(cluster ? [] : [this.key('audit-homes')])];
      const reply = (await runScript(
        this.client,
        appendScript,
        keys,
        [String(head.seq), head.hash, GENESIS, serial, String(last.seq), last.hash, ...entries.flatMap((e) => [String(e.seq), JSON.stringify(e)])],
      )) as [number, string?, string?];
      if (Number(reply[0]) === 1) {
        this.heads.set(serial, { seq: last.seq, hash: last.hash });
        return entries;
      }
      head = { seq: Number(reply[1]), hash: String(reply[2]) };
    }
    throw new Error('audit append lost too many races');
  }

  async list(serial: string, after: number, limit: number): Promise<AuditEntry[]> {
    const messages = await this.client.xRange(this.homeKey('audit', serial), `${after + 1}-0`, '+', { COUNT: limit });
    return (messages ?? []).map(readMessage);
  }

  async latest(serial: string, count: number): Promise<AuditEntry[]> {
    const messages = await this.client.xRevRange(this.homeKey('audit', serial), '+', '-', { COUNT: count });
    return (messages ?? []).map(readMessage).reverse();
  }

  async anchor(serial: string): Promise<ChainHead | null> {
    const h = await this.client.hGetAll(this.homeKey('audit-anchor', serial));
    return h.seq && h.hash ? { seq: Number(h.seq), hash: h.hash } : null;
  }

  async prune(serial: string, before: string): Promise<number> {
    const stream = this.homeKey('audit', serial);
    let cut: AuditEntry | null = null;
    let after = 0;
    for (;;) {
      const page = await this.list(serial, after, PRUNE_PAGE + 1);
      // The newest entry is always kept: it is the chain's head.
      const candidates = page.length > PRUNE_PAGE ? page.slice(0, PRUNE_PAGE) : page.slice(0, -1);
      const old = candidates.filter((e) => e.at < before);
      if (old.length > 0) cut = old.at(-1) as AuditEntry;
      if (old.length < candidates.length || page.length <= PRUNE_PAGE) break;
      after = (page[PRUNE_PAGE - 1] as AuditEntry).seq;
    }
    if (!cut) return 0;
    const [, trimmed] = await this.client
      .multi()
      .hSet(this.homeKey('audit-anchor', serial), { seq: String(cut.seq), hash: cut.hash })
      .xTrim(stream, 'MINID', `${cut.seq + 1}-0`)
      .exec();
    return Number(trimmed);
  }

  async serials(): Promise<string[]> {
    return this.client.sMembers(this.key('audit-homes'));
  }
}

/** A stream entry's id is `<seq>-0`: the seq survives an edited payload. */
const readMessage = (m: { id: string; message: Record<string, unknown> }): AuditEntry => readStoredEntry(String(m.message.e), Number.parseInt(m.id, 10));
