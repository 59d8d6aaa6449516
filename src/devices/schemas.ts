import { z } from 'zod';

/** Device ids end up in room names and store keys: keep them boring. */
export const deviceIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, '1-64 letters, digits, ".", "_", ":" or "-"');
const actionSchema = z.string().min(1).max(64);

/** States are relayed to every screen of the home; a cap keeps one chatty device from flooding them. */
const MAX_STATE_BYTES = 8 * 1024;
export const stateSchema = z
  .record(z.string(), z.unknown())
  .refine((s) => JSON.stringify(s).length <= MAX_STATE_BYTES, `at most ${MAX_STATE_BYTES} bytes of JSON`);

const paramsSchema = z
  .record(z.string(), z.unknown())
  .refine((p) => JSON.stringify(p).length <= MAX_STATE_BYTES, `at most ${MAX_STATE_BYTES} bytes of JSON`);

/**
 * The `/device` handshake's credentials, checked before the description is looked at: the hub
 * key or the device's own key (exactly one), and the deviceId a device key is bound to.
 */
export const deviceCredentials = z
  .object({
    serial: z.string().min(1).max(64),
    deviceId: deviceIdSchema,
    hubKey: z.string().max(256).optional(),
    deviceKey: z.string().max(256).optional(),
  })
  .refine((c) => (c.hubKey === undefined) !== (c.deviceKey === undefined), 'send hubKey or deviceKey');

/** The rest of the `/device` handshake: who the device is. */
export const deviceDescriptorSchema = z.object({
  deviceId: deviceIdSchema,
  name: z.string().trim().min(1).max(64),
  type: z.string().trim().min(1).max(32),
  actions: z
    .array(actionSchema)
    .max(64)
    .refine((a) => new Set(a).size === a.length, 'actions must be unique'),
  state: stateSchema.default({}),
});

/** `POST /api/v1/devices/:id/commands` body. */
export const commandBody = z.strictObject({ action: actionSchema, params: paramsSchema.optional() });

/** `device:command` on kiosk and dashboard sockets; `idempotencyKey` plays the REST header's part. */
export const commandPayload = z.strictObject({
  deviceId: z.string().min(1).max(128),
  action: actionSchema,
  params: paramsSchema.optional(),
  idempotencyKey: z.string().min(1).max(255).optional(),
});

export const idempotencyKeySchema = z.string().min(1).max(255).regex(/^[\x20-\x7e]+$/, 'printable ASCII');

/** Device → server `state`. */
export const stateMessage = z.strictObject({ state: stateSchema });

/** A device's answer to `command`. */
export const deviceReply = z.union([
  z.object({ ok: z.literal(true), state: stateSchema.optional() }),
  z.object({
    ok: z.literal(false),
    error: z.object({ code: z.string().max(64).default('rejected'), message: z.string().max(500).default('') }).default({ code: 'rejected', message: '' }),
  }),
]);
export type DeviceReply = z.infer<typeof deviceReply>;
