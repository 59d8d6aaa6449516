import { createHash, createHmac, randomBytes, randomFillSync, randomInt, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (value: string): string => createHash('sha256').update(value).digest('hex');

export const hmacHex = (key: Buffer, value: string): string => createHmac('sha256', key).update(value).digest('hex');

/** Constant-time equality of two hex digests of the same algorithm. */
export function digestsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/**
 * CSPRNG bytes handed out from a pool refilled 4 KiB at a time, the way Node's own `randomUUID`
 * does: each `randomBytes` call is a `getrandom` system call, measured at ~7 µs on this VM (20 µs
 * cold) against ~0.3 µs from the pool, and a pairing takes four ids. Every byte is handed out
 * once; nothing is reused or derived.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;
function randomSlice(bytes: number): Buffer {
  if (bytes > POOL_BYTES / 4) return randomBytes(bytes);
  if (poolOffset + bytes > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolOffset = 0;
  }
  const slice = pool.subarray(poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return slice;
}

/** URL-safe random id with `bytes` of entropy. */
export const randomId = (bytes = 16): string => randomSlice(bytes).toString('base64url');

/** Six decimal digits from the CSPRNG, leading zeros kept. */
export const sixDigitCode = (): string => randomInt(0, 1_000_000).toString().padStart(6, '0');
