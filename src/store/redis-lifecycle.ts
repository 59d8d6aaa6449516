import { createHash } from 'node:crypto';
import { clusterMasterClients, isCluster, type RedisClient } from './redis-connection.ts';
import { runScript, type Script } from './redis-scripts.ts';
import type { DeviceAuthMode, DeviceKeyRecord } from './types.ts';

/** Every instance and the CLI share it through the key prefix. */
export { HOME_CHANGES_CHANNEL } from './memory.ts';

const setIfExists: Script = (() => {
  const source = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
  return { source, sha: createHash('sha1').update(source).digest('hex') };
})();

/** Glob metacharacters in a literal prefix, escaped for SCAN MATCH. */
const escapeGlob = (literal: string) => literal.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/**
 * Device keys (one hash per home: field deviceId → JSON) and the home-lifecycle parts of the
 * Redis store, kept beside it so the store file stays about one thing.
 */
export class RedisLifecycle {
  constructor(
    private readonly client: RedisClient,
    private readonly key: (...parts: string[]) => string,
    /** Keys a home owns (hash-tagged by serial on a cluster). */
    private readonly homeKey: (kind: string, serial: string) => string = (kind, serial) => key(kind, serial),
  ) {}

  async setDeviceAuth(serial: string, mode: DeviceAuthMode): Promise<boolean> {
    return Number(await runScript(this.client, setIfExists, [this.homeKey('home', serial)], ['deviceAuth', mode])) === 1;
  }

  async putDeviceKey(record: DeviceKeyRecord): Promise<void> {
    await this.client.hSet(this.homeKey('device-keys', record.serial), record.deviceId, JSON.stringify({ keyHash: record.keyHash, createdAt: record.createdAt }));
  }
  async getDeviceKey(serial: string, deviceId: string): Promise<DeviceKeyRecord | null> {
    const raw = await this.client.hGet(this.homeKey('device-keys', serial), deviceId);
    if (!raw) return null;
    const { keyHash, createdAt } = JSON.parse(raw) as { keyHash: string; createdAt: string };
    return { serial, deviceId, keyHash, createdAt };
  }
  async deleteDeviceKey(serial: string, deviceId: string): Promise<boolean> {
    return Number(await this.client.hDel(this.homeKey('device-keys', serial), deviceId)) > 0;
  }
  async deleteDeviceKeys(serial: string): Promise<number> {
    const [count] = await this.client.multi().hLen(this.homeKey('device-keys', serial)).del(this.homeKey('device-keys', serial)).exec();
    return Number(count);
  }

  /** SCAN, not KEYS: it never blocks Redis. A removed home's records are few; the walk is what costs. */
  async kvKeysWithPrefix(prefix: string): Promise<string[]> {
    const redisPrefix = this.key('kv', '');
    const found: string[] = [];
    const match = `${escapeGlob(redisPrefix + prefix)}*`;
    // SCAN sees one node's keys: on a cluster, walk every master.
    const nodes = isCluster(this.client) ? await clusterMasterClients(this.client) : [this.client];
    for (const node of nodes) {
      for await (const batch of node.scanIterator({ MATCH: match, COUNT: 500 })) {
        for (const key of batch) found.push(key.slice(redisPrefix.length));
      }
    }
    return found;
  }
}
