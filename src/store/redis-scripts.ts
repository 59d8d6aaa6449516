import { createHash } from 'node:crypto';
import { ErrorReply } from 'redis';
import type { RedisClient } from './redis-connection.ts';

/**
 * The Lua scripts behind the Redis store's atomic steps. A script runs without interleaving on
 * the server, so each one is a single atomic read-modify-write no matter how many instances race.
 *
 * Key/value entries are stored as "<expiresAt>:<json>": the absolute expiry travels with the
 * value and is compared with the caller's clock (ARGV "now"), so expiry follows the injected
 * clock exactly; the Redis TTL set beside it is only garbage collection and is always longer.
 */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

export const script = (source: string): Script => ({ source, sha: createHash('sha1').update(source).digest('hex') });

/** Splits "<exp>:<body>" (shared by the scripts below). */
const parseEntry = `
local function entry(raw)
  if not raw then return nil, nil end
  local sep = string.find(raw, ':', 1, true)
  return tonumber(string.sub(raw, 1, sep - 1)), string.sub(raw, sep + 1)
end
`;

export const scripts = {
  /** KEYS[1]; ARGV now, entry, ttlMs → 1 when stored (absent or expired by the caller's clock), else 0. */
  setIfAbsent: script(`${parseEntry}
local exp = entry(redis.call('GET', KEYS[1]))
if exp and exp > tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`),

  /** KEYS[1]; ARGV now → 1 when a live entry was deleted, else 0 (an expired leftover is removed too). */
  del: script(`${parseEntry}
local exp = entry(redis.call('GET', KEYS[1]))
if not exp then return 0 end
redis.call('DEL', KEYS[1])
if exp > tonumber(ARGV[1]) then return 1 end
return 0
`),

  /**
   * Compare-and-set, the commit step of the optimistic \`update\`. KEYS[1]; ARGV expected
   * ("" = absent, else the exact raw entry read), next ("" = delete), ttlMs → 1 when committed.
   */
  compareAndSet: script(`
local raw = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if raw then return 0 end
elseif raw ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return 1
`),

  /**
   * Rate-limit counter. KEYS[1]; ARGV now, windowEnd, graceMs → the new count. A live window
   * keeps its own end; an absent or expired one starts at 1 and ends at windowEnd.
   */
  incr: script(`${parseEntry}
local now = tonumber(ARGV[1])
local exp, body = entry(redis.call('GET', KEYS[1]))
local n = 1
if exp and exp > now then n = tonumber(body) + 1 else exp = tonumber(ARGV[2]) end
if exp <= now then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], string.format('%d:%d', exp, n), 'PX', string.format('%d', exp - now + tonumber(ARGV[3])))
end
return n
`),

  /** KEYS[1] = refresh hash; ARGV now → {} unknown, {status, grantId, expiresAt, usedAt}. */
  consumeRefresh: script(`
local f = redis.call('HMGET', KEYS[1], 'grantId', 'expiresAt', 'usedAt')
if not f[1] then return {} end
if f[3] then return {'reused', f[1], f[2], f[3]} end
redis.call('HSET', KEYS[1], 'usedAt', ARGV[1])
return {'ok', f[1], f[2], ARGV[1]}
`),

  /** KEYS[1] = grant hash; ARGV revokedAt → 1 when it existed and was live. */
  revokeGrant: script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], 'revokedAt') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'revokedAt', ARGV[1])
return 1
`),

  /** KEYS[1] = grant hash; ARGV lastUsedAt, ip. Never creates a half grant for an unknown id. */
  touchGrant: script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1], 'ip', ARGV[2])
return 1
`),
} as const;

/** EVALSHA, loading the script on NOSCRIPT (a fresh or restarted Redis has an empty script cache). */
export async function runScript(client: RedisClient, s: Script, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await client.evalSha(s.sha, { keys, arguments: args });
  } catch (err) {
    if (err instanceof ErrorReply && err.message.startsWith('NOSCRIPT')) return client.eval(s.source, { keys, arguments: args });
    throw err;
  }
}
