/**
 * Every store key and pub/sub channel name the relay uses, in one place: a new family cannot
 * collide with an old one unnoticed (test/store/keys.test.ts checks that no family is a prefix of
 * another), and a reader sees at a glance what lives in the store. Redis deployments prepend
 * REDIS_KEY_PREFIX to all of them.
 */
export const keys = {
  pairingCode: (serial: string) => `pairing:code:${serial}`,
  pairingBudget: (serial: string) => `pairing:budget:${serial}`,
  qrSession: (id: string) => `qr:session:${id}`,
  qrScan: (scanId: string) => `qr:scan:${scanId}`,
  qrStreams: (id: string) => `qr:streams:${id}`,
  guestInvite: (hash: string) => `guest:invite:${hash}`,
  guestUses: (grantId: string) => `guest:uses:${grantId}`,
  deviceIndex: (serial: string) => `devices:index:${serial}`,
  deviceRecord: (serial: string, id: string) => `devices:record:${serial}:${id}`,
  /** Ends with ":" so that it is a prefix of every record of the scope, and of nothing else. */
  idempotencyPrefix: (scope: string) => `devices:idem:${scope}:`,
  /** Every instance id that ever beat (the sweep's work list). */
  instanceIndex: 'instances:index',
  instanceBeat: (id: string) => `instances:beat:${id}`,
  instanceSwept: (id: string) => `instances:swept:${id}`,
  rateLimitPrefix: (bucket: string, subject: string) => `rl:${bucket}:${subject}:`,
  handshakeFailures: (client: string, windowStart: number) => `hs-fail:${client}:${windowStart}`,
  /** Serials that have a bridge (the manager's work list). */
  mqttBridges: 'mqtt:bridges',
  mqttBridge: (serial: string) => `mqtt:bridge:${serial}`,
  mqttLease: (serial: string) => `mqtt:lease:${serial}`,
  /** The hash of the HUB_KEY last applied to the default home at start-up (a stale HUB_KEY must not undo a rotation). */
  hubKeyFromEnv: (serial: string) => `homes:env-key:${serial}`,
  /** A home's resume log (Redis only) and its epoch and last offset; one hash tag, one cluster slot. */
  eventLog: (serial: string) => `events:log:{${serial}}`,
  eventLogMeta: (serial: string) => `events:meta:{${serial}}`,
} as const;

/** Pub/sub channels (a namespace apart from keys). */
export const channels = {
  homeChanges: 'homes:changed',
  qrSession: (id: string) => `qr:session:${id}`,
  mqttCommands: (instanceId: string) => `mqtt:commands:${instanceId}`,
  mqttReplies: (instanceId: string) => `mqtt:replies:${instanceId}`,
} as const;
