import { describe, expect, it } from 'vitest';
import { FakeClock } from '../src/clock.ts';
import { ExpiryWheel } from '../src/realtime/expiry-wheel.ts';

describe('ExpiryWheel: one clock timer for many deadlines', () => {
  it('fires each callback at or after its deadline, never before, and at most one slot late', () => {
    const clock = new FakeClock();
    const wheel = new ExpiryWheel(clock, 250);
    const t0 = clock.now();
    const fired: [string, number][] = [];
    wheel.schedule(t0 + 1000, () => fired.push(['a', clock.now()]));
    wheel.schedule(t0 + 1001, () => fired.push(['b', clock.now()]));
    wheel.schedule(t0 + 400, () => fired.push(['c', clock.now()]));
    expect(clock.pending).toBe(1);
    clock.advance(399);
    expect(fired).toEqual([]);
    clock.advance(101);
    expect(fired).toEqual([['c', t0 + 500]]);
    clock.advance(499);
    expect(fired.map(([name]) => name)).toEqual(['c']);
    clock.advance(1);
    expect(fired.map(([name]) => name)).toEqual(['c', 'a']);
    clock.advance(250);
    expect(fired).toEqual([['c', t0 + 500], ['a', t0 + 1000], ['b', t0 + 1250]]);
    expect(wheel.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('a cancelled deadline never fires, and an earlier one re-arms the single timer', () => {
    const clock = new FakeClock();
    const wheel = new ExpiryWheel(clock, 250);
    const t0 = clock.now();
    const fired: string[] = [];
    const late = wheel.schedule(t0 + 5000, () => fired.push('late'));
    wheel.schedule(t0 + 5000, () => fired.push('kept'));
    wheel.schedule(t0 + 100, () => fired.push('early'));
    expect(clock.pending).toBe(1);
    late.cancel();
    late.cancel();
    expect(wheel.size).toBe(2);
    clock.advance(10_000);
    expect(fired).toEqual(['early', 'kept']);
    expect(clock.pending).toBe(0);
  });

  it('a deadline already past fires on the next turn of the clock', () => {
    const clock = new FakeClock();
    const wheel = new ExpiryWheel(clock);
    let fired = 0;
    wheel.schedule(clock.now() - 60_000, () => fired++);
    expect(fired).toBe(0);
    clock.advance(0);
    expect(fired).toBe(1);
  });
});
