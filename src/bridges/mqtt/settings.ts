import { z } from 'zod';
import type { Clock } from '../../clock.ts';
import { type Config, mqttDriverNames } from '../../config.ts';
import type { KeyValueStore } from '../../store/types.ts';
import { keys } from '../../store/keys.ts';

export const brokerUrlSchema = z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL');

export const bridgeSettingsSchema = z.strictObject({
  url: brokerUrlSchema,
  drivers: z.array(z.enum(mqttDriverNames)).min(1),
  username: z.string().min(1).max(256).optional(),
  /** Kept in the store because the relay must present it to the broker; never logged or listed. */
  password: z.string().min(1).max(256).optional(),
});
export type BridgeSettings = z.infer<typeof bridgeSettingsSchema>;

/** A bridge as `relay bridges list` shows it: no password, only whether one is set. */
export interface BridgeSummary {
  serial: string;
  url: string;
  drivers: string[];
  username?: string;
  hasPassword: boolean;
  /** `env`: the default home's bridge comes from MQTT_URL, not the store. */
  origin: 'env' | 'store';
}

const INDEX_KEY = keys.mqttBridges;
const bridgeKey = keys.mqttBridge;
/** Bridge settings are configuration: kept until removed. */
const KEEP_MS = 100 * 365 * 24 * 3600_000;

/** The broker URL with any userinfo removed, for logs and listings. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');
}

/**
 * Per-home bridge settings in the store (`relay bridges add|remove`), plus the default home's
 * from MQTT_URL. Every instance reads the same list, so whichever holds a home's lease runs it.
 */
export class BridgeSettingsStore {
  constructor(private readonly deps: { store: KeyValueStore; clock: Clock; config: Pick<Config, 'homeSerial' | 'mqtt'> }) {}

  async put(serial: string, settings: BridgeSettings): Promise<void> {
    const { store, clock } = this.deps;
    const expiresAt = clock.now() + KEEP_MS;
    await store.set(bridgeKey(serial), bridgeSettingsSchema.parse(settings), expiresAt);
    await store.update<string[], void>(INDEX_KEY, (serials) => ({
      next: serials?.includes(serial) ? serials : [...(serials ?? []), serial],
      expiresAt,
      result: undefined,
    }));
  }

  remove(serial: string): Promise<boolean> {
    return forgetBridge(this.deps.store, serial);
  }

  /** Every bridge to run: the stored ones, and MQTT_URL's for the default home unless one is stored for it. */
  async all(): Promise<Map<string, BridgeSettings & { origin: 'env' | 'store' }>> {
    const { store, config } = this.deps;
    const out = new Map<string, BridgeSettings & { origin: 'env' | 'store' }>();
    for (const serial of (await store.get<string[]>(INDEX_KEY)) ?? []) {
      const parsed = bridgeSettingsSchema.safeParse(await store.get(bridgeKey(serial)));
      if (parsed.success) out.set(serial, { ...parsed.data, origin: 'store' });
    }
    const { mqtt } = config;
    if (mqtt.url && !out.has(config.homeSerial)) {
      out.set(config.homeSerial, {
        url: mqtt.url,
        drivers: [...mqtt.drivers],
        ...(mqtt.username ? { username: mqtt.username } : {}),
        ...(mqtt.password ? { password: mqtt.password } : {}),
        origin: 'env',
      });
    }
    return out;
  }

  async list(): Promise<BridgeSummary[]> {
    return [...(await this.all())].map(([serial, s]) => ({
      serial,
      url: redactUrl(s.url),
      drivers: [...s.drivers],
      ...(s.username ? { username: s.username } : {}),
      hasPassword: s.password !== undefined || /^[a-z]+:\/\/[^@/]*:[^@/]*@/i.test(s.url),
      origin: s.origin,
    }));
  }
}

/** Forgets a home's stored bridge (`relay bridges remove`, `relay homes remove`); true when there was one. */
export async function forgetBridge(store: KeyValueStore, serial: string): Promise<boolean> {
  const existed = await store.del(bridgeKey(serial));
  await store.update<string[], void>(INDEX_KEY, (serials) => (serials?.includes(serial) ? { next: serials.filter((s) => s !== serial), result: undefined } : { result: undefined }));
  return existed;
}
