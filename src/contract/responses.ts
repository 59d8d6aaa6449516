import { z } from 'zod';

/**
 * The JSON bodies the REST routes answer with, as API.md describes them. They feed the OpenAPI
 * document, and test/openapi.test.ts checks real responses against that document. Objects are
 * loose: the contract lets the relay add fields, so clients must tolerate ones they do not know.
 */
const timestamp = z.iso.datetime().describe('ISO 8601, UTC');

export const errorBody = z.looseObject({
  error: z.looseObject({
    code: z.string().describe('snake_case, see the errors table of API.md'),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const healthBody = z.looseObject({ status: z.literal('ok') });
export const readyBody = z.looseObject({ status: z.literal('ready') });
export const successBody = z.looseObject({ success: z.literal(true) });

export const codeIssuedBody = z.looseObject({ serial: z.string(), expiresAt: timestamp, ttlSeconds: z.number().int().positive() });

export const tokenBody = z.looseObject({
  success: z.literal(true),
  token: z.string().describe('HS256 JWT access token'),
  tokenType: z.literal('Bearer'),
  expiresIn: z.number().int().positive().describe('seconds'),
  refreshToken: z.string().describe('opaque, single use: rotated on every refresh'),
  grantId: z.string(),
  serial: z.string(),
});

export const meBody = z.looseObject({ grantId: z.string(), serial: z.string(), clientName: z.string(), expiresAt: timestamp });

export const grantsBody = z.looseObject({
  grants: z.array(
    z.looseObject({
      id: z.string(),
      clientName: z.string(),
      method: z.string().describe('"code" or "qr" (API.md); later releases may add methods'),
      createdAt: timestamp,
      lastUsedAt: timestamp,
      ip: z.string(),
      current: z.boolean(),
    }),
  ),
});

export const deviceBody = z.looseObject({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  actions: z.array(z.string()),
  online: z.boolean(),
  state: z.record(z.string(), z.unknown()),
  updatedAt: timestamp,
  source: z.enum(['socket', 'mqtt']).describe('"mqtt": brought by the MQTT bridge (docs/mqtt.md)'),
  bridge: z
    .looseObject({ driver: z.string(), name: z.string(), capabilities: z.array(z.string()) })
    .optional()
    .describe('bridged devices only: the driver, the name there, everything the device announced'),
});
export const devicesBody = z.looseObject({ devices: z.array(deviceBody) });
export const commandResultBody = z.looseObject({ commandId: z.string(), device: deviceBody });

export const qrCreatedBody = z.looseObject({
  sessionId: z.string().describe("the new browser's secret: it reads the result"),
  scanId: z.string().describe('what the QR code carries: approve or deny, never read'),
  expiresAt: timestamp,
  approveUrl: z.url(),
  qrSvgUrl: z.string(),
  keyFingerprint: z.string().optional(),
});

export const qrSessionBody = z.looseObject({
  scanId: z.string(),
  status: z.string(),
  requestedFrom: z.looseObject({ ip: z.string(), userAgent: z.string().nullable().optional() }),
  createdAt: timestamp,
  expiresAt: timestamp,
  keyFingerprint: z.string().optional(),
});

export const guestInviteBody = z.looseObject({
  inviteId: z.string(),
  inviteUrl: z.url().describe('<PUBLIC_URL>/guest#code=…&serial=…'),
  code: z.string().describe('ten letters from BCDFGHJKLMNPQRSTVWXZ, single use'),
  expiresAt: timestamp,
});

export const auditPageBody = z.looseObject({
  entries: z.array(
    z.looseObject({
      seq: z.number().int(),
      at: timestamp,
      actor: z.looseObject({ kind: z.string() }),
      channel: z.string(),
      event: z.string(),
      outcome: z.string(),
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  next: z.number().int().nullable(),
});
