import { describe, expect, it } from 'vitest';
import { channels, keys } from '../../src/store/keys.ts';

/** The fixed start of a key family: the builder called with a marker, cut at the first marker. */
function familyPrefix(build: unknown): string {
  const marker = '\u0000';
  const built = typeof build === 'function' ? String(build(marker, marker)) : String(build);
  return built.split(marker)[0] ?? built;
}

describe('store key families (src/store/keys.ts)', () => {
  for (const [space, families] of [
    ['keys', keys],
    ['channels', channels],
  ] as const) {
    it(`no ${space} family is a prefix of another, so prefix scans and deletes never reach a neighbour`, () => {
      const prefixes = Object.entries(families).map(([name, build]) => [name, familyPrefix(build)] as const);
      const clashes = prefixes.flatMap(([a, pa]) => prefixes.filter(([b, pb]) => a !== b && pb.startsWith(pa)).map(([b]) => `${a} ⊂ ${b}`));
      expect(clashes).toEqual([]);
      for (const [, prefix] of prefixes) expect(prefix).toMatch(/^[a-z-]+:/);
    });
  }
});
