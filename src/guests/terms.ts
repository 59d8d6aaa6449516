import { z } from 'zod';
import { clientNameSchema } from '../validation.ts';

/**
 * A scoped (guest) grant's terms. `devices` names what the guest may see (or "*"); `actions` what it
 * may do, per device id or "*" for the rest, or "read" for nothing but looking.
 */
export interface GuestScope {
  devices: string[] | '*';
  actions: Record<string, string[] | '*'> | 'read';
}

export interface GuestTerms {
  scope: GuestScope;
  /** ISO; before it the grant sees nothing. */
  notBefore?: string;
  /** ISO; at it the grant, its tokens and its sockets end. */
  notAfter: string;
  /** Commands the grant may send in all. */
  maxUses?: number;
}

/** A guest grant can be made at most this far ahead (API: ≤ 90 d). */
export const MAX_GUEST_SPAN_MS = 90 * 86_400_000;

const deviceId = z.string().min(1).max(128);
const action = z.string().min(1).max(64);

export const scopeSchema = z.strictObject({
  devices: z.union([z.literal('*'), z.array(deviceId).min(1).max(256)]),
  actions: z.union([z.literal('read'), z.record(z.string().min(1).max(128), z.union([z.literal('*'), z.array(action).max(64)]))]),
});

const isoTime = z.iso.datetime({ offset: true });

/** `POST /api/v1/guests` and kiosk `guest:create`. Times are checked against the clock by the service. */
export const inviteBody = z.strictObject({
  clientName: clientNameSchema,
  scope: scopeSchema,
  notBefore: isoTime.optional(),
  notAfter: isoTime,
  maxUses: z.number().int().min(1).max(100_000).optional(),
});

export type InviteRequest = z.infer<typeof inviteBody>;

/** Ten letters of the RFC 8628 §6.1 alphabet; people may type them in lower case, with dashes or spaces. */
export const claimBody = z.strictObject({
  code: z
    .string()
    .max(32)
    .transform((raw) => raw.toUpperCase().replace(/[\s-]/g, ''))
    .pipe(z.string().regex(/^[BCDFGHJKLMNPQRSTVWXZ]{10}$/, 'ten letters from BCDFGHJKLMNPQRSTVWXZ')),
  clientName: clientNameSchema.optional(),
  serial: z.string().min(1).max(64).optional(),
});

/** Whether a guest with these terms sees the device. */
export function seesDevice(scope: GuestScope, id: string): boolean {
  return scope.devices === '*' || scope.devices.includes(id);
}

/** Whether a guest may run `action` on the device: seen, and named by the device's entry or "*". */
export function allowsAction(scope: GuestScope, id: string, action: string): boolean {
  if (!seesDevice(scope, id) || scope.actions === 'read') return false;
  const allowed = Object.hasOwn(scope.actions, id) ? scope.actions[id] : scope.actions['*'];
  return allowed === '*' || allowed?.includes(action) === true;
}
