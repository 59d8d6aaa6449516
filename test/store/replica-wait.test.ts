import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock.ts';
import { ReplicaWaitPolicy, SHORT_SHARD_MEMORY_MS } from '../../src/store/replica-wait.ts';

describe('ReplicaWaitPolicy', () => {
  it('asks every shard for the configured count until one confirms fewer', () => {
    const policy = new ReplicaWaitPolicy(2, new FakeClock());
    expect(policy.replicasFor('a:1')).toBe(2);
    policy.confirmed('a:1', 2, 2);
    expect(policy.replicasFor('a:1')).toBe(2);
    expect(policy.replicasFor(undefined)).toBe(2);
  });

  it('asks a short shard only for what it confirmed, for 10 s, then for the full count again', () => {
    const clock = new FakeClock();
    const policy = new ReplicaWaitPolicy(2, clock);
    policy.confirmed('a:1', 2, 1);
    expect(policy.replicasFor('a:1')).toBe(1);
    expect(policy.replicasFor('b:1')).toBe(2); // other shards are not affected
    policy.confirmed('a:1', 1, 1); // still short: keeps its memory
    clock.advance(SHORT_SHARD_MEMORY_MS - 1);
    expect(policy.replicasFor('a:1')).toBe(1);
    clock.advance(1);
    expect(policy.replicasFor('a:1')).toBe(2);
  });

  it('skips WAIT on a shard that confirmed none (a promoted replica standing alone)', () => {
    const clock = new FakeClock();
    const policy = new ReplicaWaitPolicy(1, clock);
    policy.confirmed('a:1', 1, 0);
    expect(policy.replicasFor('a:1')).toBe(0);
    clock.advance(SHORT_SHARD_MEMORY_MS);
    expect(policy.replicasFor('a:1')).toBe(1);
  });

  it('forgets a shortage as soon as the full count is confirmed, and ignores nonsense answers', () => {
    const policy = new ReplicaWaitPolicy(2, new FakeClock());
    policy.confirmed('a:1', 2, -3);
    expect(policy.replicasFor('a:1')).toBe(0);
    policy.confirmed('a:1', 2, 2);
    expect(policy.replicasFor('a:1')).toBe(2);
    policy.confirmed(undefined, 2, 0);
    expect(policy.replicasFor(undefined)).toBe(2);
  });
});
