import { createPublicKey } from 'node:crypto';
import { calculateJwkThumbprint, CompactEncrypt, importJWK } from 'jose';
import { z } from 'zod';
import { AppError } from '../errors.ts';

/** A P-256 coordinate: 32 bytes, base64url without padding. */
const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/**
 * The new browser's public key, as WebCrypto exports it. Strict: a private key (`d`) or any
 * other member is refused, so a careless client cannot hand us its secret.
 */
export const publicKeySchema = z.strictObject({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: coordinate,
  y: coordinate,
  ext: z.boolean().optional(),
  key_ops: z.array(z.string().max(32)).max(8).optional(),
  alg: z.literal('ECDH-ES').optional(),
  use: z.literal('enc').optional(),
});

export type PublicJwk = z.infer<typeof publicKeySchema>;

/** Only the members RFC 7638 hashes: what is stored and what sealing uses. */
const coreOf = ({ kty, crv, x, y }: PublicJwk): PublicJwk => ({ kty, crv, x, y });

/** Validated and checked to be a point on the curve; throws 400 invalid_request otherwise. */
export function checkedPublicKey(input: unknown): PublicJwk {
  const parsed = publicKeySchema.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_request', 'publicKey must be a public EC P-256 JWK (kty, crv, x, y).');
  const jwk = coreOf(parsed.data);
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new AppError('invalid_request', 'publicKey is not a point on P-256.');
  }
  return jwk;
}

/** RFC 7638 thumbprint (SHA-256), first 8 base64url characters: short enough for a person to compare. */
export async function fingerprintOf(jwk: PublicJwk): Promise<string> {
  return (await calculateJwkThumbprint(coreOf(jwk), 'sha256')).slice(0, 8);
}

/**
 * Compact JWE, ECDH-ES (direct key agreement, a fresh ephemeral key per message) + A256GCM:
 * only the holder of the private key can read the token response.
 */
export async function seal(jwk: PublicJwk, payload: unknown): Promise<string> {
  const key = await importJWK(coreOf(jwk), 'ECDH-ES');
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM' })
    .encrypt(key);
}
