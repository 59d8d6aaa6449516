import { describe, expect, it } from 'vitest';
import { randomId } from '../src/crypto.ts';

describe('randomId (pooled CSPRNG bytes)', () => {
  it('hands out every byte once: 20,000 ids across many pool refills are all different and of full length', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(randomId(16));
    expect(ids.size).toBe(20_000);
    for (const id of [...ids].slice(0, 50)) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('keeps sizes that do not fit the pool evenly, and large ones, of the asked length', () => {
    for (const bytes of [1, 12, 18, 24, 32, 1000, 1025, 8192]) {
      expect(Buffer.from(randomId(bytes), 'base64url')).toHaveLength(bytes);
    }
  });

  it('looks uniform: each byte value turns up about equally often over 1 MB', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 65_536; i++) for (const byte of Buffer.from(randomId(16), 'base64url')) counts[byte] = (counts[byte] ?? 0) + 1;
    // 4,096 expected per value; 6 sigma (~384) either side would fail a broken pool, not chance.
    expect(Math.min(...counts)).toBeGreaterThan(4096 - 400);
    expect(Math.max(...counts)).toBeLessThan(4096 + 400);
  });
});
