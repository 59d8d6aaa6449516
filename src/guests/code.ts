import { randomBytes } from 'node:crypto';

/** RFC 8628 §6.1: no vowels (no words), no easily confused characters. */
export const INVITE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
export const INVITE_CODE_LENGTH = 10;

/**
 * Ten characters from a CSPRNG, ≈ 43 bits. Bytes ≥ 240 are drawn again (rejection sampling),
 * so every letter is exactly equally likely: 256 is not a multiple of 20.
 */
export function inviteCode(): string {
  let code = '';
  while (code.length < INVITE_CODE_LENGTH) {
    for (const byte of randomBytes(16)) {
      if (byte >= 240) continue;
      code += INVITE_ALPHABET[byte % 20];
      if (code.length === INVITE_CODE_LENGTH) break;
    }
  }
  return code;
}
