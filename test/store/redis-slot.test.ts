import { describe, expect, it } from 'vitest';
import { keySlot } from '../../src/store/redis-slot.ts';

describe('Redis Cluster key slots', () => {
  it('matches the values Redis gives (CLUSTER KEYSLOT), hash tags included', () => {
    // Reference values from the cluster specification and redis-cli CLUSTER KEYSLOT.
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('relay:home:{home-1}')).toBe(keySlot('home-1'));
    expect(keySlot('a{home-1}b')).toBe(keySlot('relay:grants:{home-1}'));
    // An empty tag hashes the whole key.
    expect(keySlot('{}foo')).not.toBe(keySlot(''));
  });
});
