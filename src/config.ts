import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { parseTrustProxy } from './net/trust-proxy.ts';
import { splitList } from './text-list.ts';
import { resolveDataDir } from './paths.ts';

/** A duration variable: "30h", "180s", "5000ms", or a bare number meaning `bareUnit`. Kept as milliseconds. */
const duration = (fallback: string, bareUnit: 'ms' | 's') =>
  z
    .string()
    .default(fallback)
    .transform((raw, ctx) => {
      const ms = parseDuration(raw, bareUnit);
      if (ms === null || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: `expected a positive duration such as 30s, 5m, 30h or 30d, got "${raw}"` });
        return z.NEVER;
      }
      return ms;
    });

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'on', 'off', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', '1', 'on', 'yes'].includes(v));

/** "h1:7000, redis://h2:7001" → redis:// URLs; null when an entry is not host:port or a redis(s) URL. */
export function clusterNodeUrls(list: string): string[] | null {
  const entries = splitList(list);
  if (entries.length === 0) return null;
  const urls: string[] = [];
  for (const entry of entries) {
    const url = /^rediss?:\/\//.test(entry) ? entry : `redis://${entry}`;
    try {
      const parsed = new URL(url);
      if (!parsed.hostname || !parsed.port) return null;
    } catch {
      return null;
    }
    urls.push(url);
  }
  return urls;
}

const serialPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('0.0.0.0'),
    PUBLIC_URL: z.string().url().optional(),
    DATA_DIR: z.string().min(1).default('./data'),
    STORE: z.enum(['sqlite', 'memory', 'redis']).optional(),
    REDIS_URL: z.string().url().optional(),
    // Redis Cluster: some (or all) nodes, comma-separated; the client discovers the rest.
    REDIS_CLUSTER_NODES: z.string().optional(),
    // Replicas that must hold a durable write before it is acknowledged (Redis WAIT); 0 = do not wait.
    REDIS_WAIT_REPLICAS: z.coerce.number().int().min(0).max(16).default(0),
    REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'letters, digits, ":", ".", "_" or "-", at most 64').default('relay:'),
    HOME_SERIAL: z.string().regex(serialPattern, 'letters, digits, ".", "_" or "-", at most 64').default('home-1'),
    HUB_KEY: z.string().min(16, 'at least 16 characters').optional(),
    JWT_SECRET: z.string().min(1).optional(),
    JWT_ISSUER: z.string().min(1).default('home-relay'),
    JWT_AUDIENCE: z.string().min(1).default('home-relay-clients'),
    ACCESS_TOKEN_TTL: duration('30h', 's'),
    REFRESH_TOKEN_TTL: duration('30d', 's'),
    PAIRING_CODE_TTL: duration('180', 's'),
    PAIRING_MAX_ATTEMPTS: positiveInt(5),
    PAIRING_LOCK_AFTER: positiveInt(3),
    PAIRING_LOCK_DURATION: duration('1h', 's'),
    PAIRING_LOCK_AFTER_FAILURES: positiveInt(15),
    PAIRING_LOCK_MAX: duration('7d', 's'),
    // How long a wrong claim is remembered toward the home's budget when no pairing succeeds (docs/security.md).
    PAIRING_FAILURE_MEMORY: duration('365d', 's'),
    PAIRING_CODE_REQUESTS: z
      .string()
      .default('10/10m')
      .transform((raw, ctx) => {
        const limit = parseLimit(raw);
        if (!limit) {
          ctx.addIssue({ code: 'custom', message: `expected a count, optionally per a duration, such as 10 or 10/10m, got "${raw}"` });
          return z.NEVER;
        }
        return limit;
      }),
    RATE_LIMITS: z.enum(['on', 'off']).default('on'),
    RATE_LIMIT_CODE_PER_MINUTE: positiveInt(10),
    RATE_LIMIT_CLAIM_PER_MINUTE: positiveInt(20),
    RATE_LIMIT_REFRESH_PER_MINUTE: positiveInt(60),
    RATE_LIMIT_QR_PER_MINUTE: positiveInt(20),
    RATE_LIMIT_HANDSHAKE_FAILURES_PER_MINUTE: positiveInt(20),
    DEVICE_COMMAND_TIMEOUT: duration('5s', 's'),
    QR_SESSION_TTL: duration('185', 's'),
    QR_PING_INTERVAL: duration('10', 's'),
    CORS_ORIGINS: z
      .string()
      .default('')
      .transform((raw, ctx) => {
        const origins: string[] = [];
        for (const entry of splitList(raw)) {
          const origin = originOf(entry);
          if (origin === null) {
            ctx.addIssue({ code: 'custom', message: `expected comma-separated origins such as https://app.example.com (scheme, host, optional port; no "*", no path), got "${entry}"` });
            return z.NEVER;
          }
          origins.push(origin);
        }
        return origins;
      }),
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((raw, ctx) => {
        const parsed = parseTrustProxy(raw);
        if (typeof parsed === 'string') {
          ctx.addIssue({ code: 'custom', message: parsed });
          return z.NEVER;
        }
        return parsed.value;
      }),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DEMO_DEVICES: flag(true),
    // Hosts whose Host header may become the origin of QR links when PUBLIC_URL is unset.
    ALLOWED_HOSTS: z.string().default(''),
    QR_SCAN_ROTATION: duration('30', 's'),
    // Hostile and runaway traffic (issue 12).
    METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
    // "20" or "20/s": state messages per device per second.
    DEVICE_STATE_RATE: z
      .string()
      .default('20')
      .transform((raw, ctx) => {
        const perSecond = /^\d+(\.\d+)?(\/s)?$/.test(raw) ? Number.parseFloat(raw) : Number.NaN;
        if (perSecond > 0) return perSecond;
        ctx.addIssue({ code: 'custom', message: `expected messages per second such as 20 or 20/s, got "${raw}"` });
        return z.NEVER;
      }),
    DEVICE_STATE_BURST: z.coerce.number().int().positive().optional(),
    SOCKET_MAX_BUFFER: z.coerce.number().int().min(1024).default(1024 * 1024),
    MAX_DEVICES_PER_HOME: positiveInt(256),
    DEVICE_RETENTION: duration('30d', 's'),
    DEVICE_PRUNE_INTERVAL: duration('1h', 's'),
    // The default home's MQTT broker (docs/mqtt.md); other homes: `relay bridges add`.
    MQTT_URL: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/, 'an mqtt://, mqtts://, ws:// or wss:// URL').optional(),
    MQTT_DRIVERS: z.string().default('zigbee2mqtt,tasmota,shelly,homeassistant'),
    MQTT_USERNAME: z.string().min(1).optional(),
    MQTT_PASSWORD: z.string().min(1).optional(),
    MQTT_Z2M_BASE: z.string().regex(/^[^#+\s]+$/, 'a topic without wildcards').default('zigbee2mqtt'),
    AUDIT_RETENTION: duration('90d', 's'),
    GUEST_INVITE_TTL: duration('24h', 's'),
    // How long a home's event log keeps what a reconnecting kiosk or dashboard missed (docs/api-extensions.md).
    RESUME_WINDOW: duration('3m', 's'),
    RESUME_LOG_MAX: positiveInt(1000),
  })
  .superRefine((env, ctx) => {
    const unknownDrivers = splitList(env.MQTT_DRIVERS).filter((d) => !(mqttDriverNames as readonly string[]).includes(d));
    if (unknownDrivers.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['MQTT_DRIVERS'], message: `unknown driver(s) ${unknownDrivers.join(', ')}; choose from ${mqttDriverNames.join(', ')}` });
    }
    if (env.STORE === 'redis' && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'required when STORE=redis (or REDIS_CLUSTER_NODES)' });
    }
    if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'give either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a cluster), not both' });
    }
    if (env.REDIS_CLUSTER_NODES !== undefined && clusterNodeUrls(env.REDIS_CLUSTER_NODES) === null) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'comma-separated host:port or redis://host:port entries' });
    }
    if (env.NODE_ENV === 'production' && (!env.JWT_SECRET || Buffer.byteLength(env.JWT_SECRET) < 32)) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'required with NODE_ENV=production, at least 32 bytes' });
    }
    if (env.PAIRING_LOCK_MAX < env.PAIRING_LOCK_DURATION) {
      ctx.addIssue({ code: 'custom', path: ['PAIRING_LOCK_MAX'], message: 'must be at least PAIRING_LOCK_DURATION (locks only grow)' });
    }
    // QR codes and approve links must point where people really reach the relay, never at a Host header.
    if (env.NODE_ENV === 'production' && !env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'required with NODE_ENV=production (the URL people use; QR links are built from it)' });
    }
  });

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly publicUrl: string | undefined;
  readonly dataDir: string;
  readonly store: 'sqlite' | 'memory' | 'redis';
  readonly redisUrl: string | undefined;
  /** Redis Cluster seed nodes as redis:// URLs (REDIS_CLUSTER_NODES); the store and adapter then use the cluster. */
  readonly redisClusterNodes: readonly string[] | undefined;
  /** REDIS_WAIT_REPLICAS: durable writes wait (WAIT, ≤ 500 ms) for this many replicas. */
  readonly redisWaitReplicas: number;
  /** Prepended to every Redis key and channel (store and Socket.IO adapter), so deployments can share a Redis. */
  readonly redisKeyPrefix: string;
  readonly homeSerial: string;
  readonly hubKey: string | undefined;
  readonly jwtSecret: string | undefined;
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly pairingCodeTtlMs: number;
  readonly pairingMaxAttempts: number;
  readonly pairingLockAfter: number;
  readonly pairingLockDurationMs: number;
  /** Wrong claims (for any code) that lock the home; remembered for `pairingFailureMemoryMs`. */
  readonly pairingLockAfterFailures: number;
  /** Escalated locks (each twice the one before) never last longer than this. */
  readonly pairingLockMaxMs: number;
  readonly pairingFailureMemoryMs: number;
  /** Code requests per home from all addresses together (a kiosk's own `pairing:open` is not counted). */
  readonly pairingCodeRequests: RateLimit;
  readonly rateLimits: {
    readonly enabled: boolean;
    readonly codePerMinute: number;
    readonly claimPerMinute: number;
    readonly refreshPerMinute: number;
    readonly qrPerMinute: number;
    /** Refused /kiosk and /device handshakes per IP per minute before even right keys are refused. */
    readonly handshakeFailuresPerMinute: number;
  };
  readonly deviceCommandTimeoutMs: number;
  readonly qrSessionTtlMs: number;
  readonly qrPingIntervalMs: number;
  readonly corsOrigins: readonly string[];
  /** Hop count or address/subnet list for Express's `trust proxy`; never "trust everything". */
  readonly trustProxy: number | readonly string[];
  readonly logLevel: string;
  readonly demoDevices: boolean;
  /** Lower-case `host` or `host:port` entries (ALLOWED_HOSTS); a bare host allows any port. */
  readonly allowedHosts: readonly string[];
  /** A pending QR session's scan id is replaced this often while its browser watches. */
  readonly qrScanRotationMs: number;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken: string | undefined;
  /** Token bucket of each device's `state` fan-out: refill per second and bucket size. */
  readonly deviceStateRate: { readonly perSecond: number; readonly burst: number };
  /** Bytes the relay may hold unsent for one socket before it disconnects it. */
  readonly socketMaxBufferBytes: number;
  readonly maxDevicesPerHome: number;
  /** An offline device unseen this long is forgotten. */
  readonly deviceRetentionMs: number;
  /** How often forgotten devices are looked for. */
  readonly devicePruneIntervalMs: number;
  /** Each home's event log for sockets that resume after a drop: kept this long, at most this many entries. */
  readonly resume: { readonly windowMs: number; readonly maxEntries: number };
  readonly mqtt: {
    /** The default home's broker; unset: no bridge for it (CLI-added bridges still run). */
    readonly url: string | undefined;
    readonly drivers: readonly MqttDriverName[];
    readonly username: string | undefined;
    /** Never logged. */
    readonly password: string | undefined;
    readonly z2mBase: string;
  };
  /** Audit entries older than this are pruned (the chain stays verifiable from the oldest kept). */
  readonly auditRetentionMs: number;
  /** How long a guest invite code can be claimed. */
  readonly guestInviteTtlMs: number;
}

/** The MQTT bridge's drivers (src/bridges/mqtt/drivers); config names them so it needs no bridge import. */
export const mqttDriverNames = ['zigbee2mqtt', 'tasmota', 'shelly', 'homeassistant'] as const;
export type MqttDriverName = (typeof mqttDriverNames)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** "10/10m" (a count per a duration), or a bare count meaning per 10 minutes. */
function parseLimit(raw: string): RateLimit | null {
  const match = /^\s*(\d+)\s*(?:\/\s*(\S+))?\s*$/.exec(raw);
  if (!match) return null;
  const limit = Number(match[1]);
  const windowMs = match[2] === undefined ? 600_000 : parseDuration(match[2], 's');
  if (!Number.isSafeInteger(limit) || limit < 1 || windowMs === null || windowMs <= 0) return null;
  return { limit, windowMs };
}

/** Validates the environment; throws ConfigError listing every bad variable by name. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset" so that a blank line in .env falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const e = parsed.data;
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, ''),
    dataDir: resolveDataDir(e.DATA_DIR),
    store: e.STORE ?? (e.REDIS_URL || e.REDIS_CLUSTER_NODES ? 'redis' : 'sqlite'),
    redisUrl: e.REDIS_URL,
    redisWaitReplicas: e.REDIS_WAIT_REPLICAS,
    redisClusterNodes: e.REDIS_CLUSTER_NODES !== undefined ? (clusterNodeUrls(e.REDIS_CLUSTER_NODES) ?? undefined) : undefined,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    homeSerial: e.HOME_SERIAL,
    hubKey: e.HUB_KEY,
    jwtSecret: e.JWT_SECRET,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    accessTokenTtlMs: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlMs: e.REFRESH_TOKEN_TTL,
    pairingCodeTtlMs: e.PAIRING_CODE_TTL,
    pairingMaxAttempts: e.PAIRING_MAX_ATTEMPTS,
    pairingLockAfter: e.PAIRING_LOCK_AFTER,
    pairingLockDurationMs: e.PAIRING_LOCK_DURATION,
    pairingLockAfterFailures: e.PAIRING_LOCK_AFTER_FAILURES,
    pairingLockMaxMs: e.PAIRING_LOCK_MAX,
    pairingFailureMemoryMs: e.PAIRING_FAILURE_MEMORY,
    pairingCodeRequests: Object.freeze(e.PAIRING_CODE_REQUESTS),
    rateLimits: Object.freeze({
      enabled: e.RATE_LIMITS === 'on',
      codePerMinute: e.RATE_LIMIT_CODE_PER_MINUTE,
      claimPerMinute: e.RATE_LIMIT_CLAIM_PER_MINUTE,
      refreshPerMinute: e.RATE_LIMIT_REFRESH_PER_MINUTE,
      qrPerMinute: e.RATE_LIMIT_QR_PER_MINUTE,
      handshakeFailuresPerMinute: e.RATE_LIMIT_HANDSHAKE_FAILURES_PER_MINUTE,
    }),
    deviceCommandTimeoutMs: e.DEVICE_COMMAND_TIMEOUT,
    qrSessionTtlMs: e.QR_SESSION_TTL,
    qrPingIntervalMs: e.QR_PING_INTERVAL,
    corsOrigins: Object.freeze(e.CORS_ORIGINS),
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    demoDevices: e.DEMO_DEVICES,
    allowedHosts: Object.freeze(splitList(e.ALLOWED_HOSTS.toLowerCase())),
    qrScanRotationMs: e.QR_SCAN_ROTATION,
    metricsToken: e.METRICS_TOKEN,
    deviceStateRate: Object.freeze({ perSecond: e.DEVICE_STATE_RATE, burst: e.DEVICE_STATE_BURST ?? Math.max(1, Math.ceil(e.DEVICE_STATE_RATE * 2)) }),
    socketMaxBufferBytes: e.SOCKET_MAX_BUFFER,
    maxDevicesPerHome: e.MAX_DEVICES_PER_HOME,
    deviceRetentionMs: e.DEVICE_RETENTION,
    devicePruneIntervalMs: e.DEVICE_PRUNE_INTERVAL,
    resume: Object.freeze({ windowMs: e.RESUME_WINDOW, maxEntries: e.RESUME_LOG_MAX }),
    mqtt: Object.freeze({
      url: e.MQTT_URL,
      drivers: Object.freeze(splitList(e.MQTT_DRIVERS) as MqttDriverName[]),
      username: e.MQTT_USERNAME,
      password: e.MQTT_PASSWORD,
      z2mBase: e.MQTT_Z2M_BASE,
    }),
    auditRetentionMs: e.AUDIT_RETENTION,
    guestInviteTtlMs: e.GUEST_INVITE_TTL,
  });
}

export { serialPattern };

/** An http(s) origin as a browser sends it in `Origin` (a trailing "/" is dropped), or null for anything else. */
function originOf(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return null;
  }
  const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  return (url.protocol === 'https:' || url.protocol === 'http:') && bare && url.host !== '' ? url.origin : null;
}
