import type { Clock } from '../clock.ts';
import { randomId } from '../crypto.ts';
import type { HomeEventLog, LogEntry, LogLimits, LogPosition, LogRead, NewLogEntry } from './event-log.ts';
import { keys } from './keys.ts';
import type { RedisClient } from './redis-connection.ts';
import { runScript, script } from './redis-scripts.ts';

/** An epoch outlives its entries by this much, so a quiet home does not resync its sockets. */
const EPOCH_TTL_MS = 86_400_000;

/**
 * Per home: a hash `{epoch, offset}` and a list of "<offset> <at> <json>" entries (offsets are
 * consecutive in the list: entries leave only from the head). Both keys share the `{serial}` hash
 * tag, so each script touches one Redis Cluster slot.
 */
const readMeta = `
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('DEL', KEYS[2])
end
local last = tonumber(redis.call('HGET', KEYS[1], 'offset'))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
`;

const scripts = {
  /** KEYS meta, list; ARGV newEpoch, epochTtl, now, windowMs, maxEntries, json → { epoch, offset }. */
  append: script(`${readMeta}
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
redis.call('RPUSH', KEYS[2], offset .. ' ' .. ARGV[3] .. ' ' .. ARGV[6])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
local cutoff = tonumber(ARGV[3]) - tonumber(ARGV[4])
for _ = 1, 1000 do
  local head = redis.call('LINDEX', KEYS[2], 0)
  if not head then break end
  local at = tonumber(string.match(head, '^%d+ (%d+) '))
  if at >= cutoff then break end
  redis.call('LPOP', KEYS[2])
end
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return { epoch, offset }
`),
  /**
   * KEYS meta, list; ARGV newEpoch, epochTtl, since offset (-1: position only), since epoch →
   * { epoch, last, first, entries after since } or, when since is gone, { …, every entry, 1 }.
   */
  read: script(`${readMeta}
local head = redis.call('LINDEX', KEYS[2], 0)
local first = last + 1
if head then first = tonumber(string.match(head, '^(%d+) ')) end
local from = tonumber(ARGV[3]) + 1
if ARGV[3] == '-1' then return { epoch, last, first, {} } end
if ARGV[4] ~= epoch or from < first or from > last + 1 then return { epoch, last, first, redis.call('LRANGE', KEYS[2], 0, -1), 1 } end
return { epoch, last, first, redis.call('LRANGE', KEYS[2], from - first, -1) }
`),
};

/** The multi-instance log: every instance appends to and reads the same per-home list. */
export class RedisHomeEventLog implements HomeEventLog {
  constructor(
    private readonly client: RedisClient,
    private readonly key: (...parts: string[]) => string,
    private readonly clock: Clock,
    private readonly limits: LogLimits,
  ) {}

  async append(serial: string, entry: NewLogEntry): Promise<LogPosition> {
    const args = [randomId(9), String(EPOCH_TTL_MS), String(this.clock.now()), String(this.limits.windowMs), String(this.limits.maxEntries), JSON.stringify(entry)];
    const [epoch, offset] = (await runScript(this.client, scripts.append, this.keysOf(serial), args)) as [string, number];
    return { epoch, offset: Number(offset) };
  }

  async read(serial: string, since: LogPosition | null): Promise<LogRead> {
    const args = [randomId(9), String(EPOCH_TTL_MS), String(since?.offset ?? -1), since?.epoch ?? ''];
    const [epoch, last, , raw, gone] = (await runScript(this.client, scripts.read, this.keysOf(serial), args)) as [string, number, number, string[], number?];
    const position = { epoch, offset: Number(last) };
    const entries = raw.map(parseEntry);
    return gone ? { status: 'gone', position, retained: entries } : { status: 'ok', position, entries };
  }

  async forget(serial: string): Promise<void> {
    // Both keys carry the {serial} hash tag: one DEL, one slot, also on a cluster.
    await this.client.del(this.keysOf(serial));
  }

  private keysOf(serial: string): string[] {
    return [this.key(keys.eventLogMeta(serial)), this.key(keys.eventLog(serial))];
  }
}

function parseEntry(raw: string): LogEntry {
  const afterOffset = raw.indexOf(' ');
  const afterAt = raw.indexOf(' ', afterOffset + 1);
  return { ...(JSON.parse(raw.slice(afterAt + 1)) as NewLogEntry), offset: Number(raw.slice(0, afterOffset)), at: Number(raw.slice(afterOffset + 1, afterAt)) };
}
