import { describe, expect, it } from 'vitest';
import { FakeClock, systemClock } from '../src/clock.ts';

describe('FakeClock timers', () => {
  it('fires a timeout at its own instant when time passes it, and not before', () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 1000);
    clock.advance(999);
    expect(fired).toEqual([]);
    clock.advance(5000);
    expect(fired).toEqual([1000]);
    expect(clock.now()).toBe(5999);
    expect(clock.pending).toBe(0);
  });

  it('fires an interval once per period passed, interleaved in time order with timeouts', () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    clock.setInterval(() => fired.push(`tick@${clock.now()}`), 300);
    clock.setTimeout(() => fired.push(`once@${clock.now()}`), 500);
    clock.advance(1000);
    expect(fired).toEqual(['tick@300', 'once@500', 'tick@600', 'tick@900']);
    expect(clock.pending).toBe(1);
  });

  it('stops an interval that is cancelled, also from inside its own callback', () => {
    const clock = new FakeClock(0);
    let ticks = 0;
    const timer = clock.setInterval(() => {
      ticks++;
      if (ticks === 2) timer.cancel();
    }, 100);
    clock.advance(1000);
    expect(ticks).toBe(2);
    expect(clock.pending).toBe(0);
    const other = clock.setInterval(() => ticks++, 100);
    other.cancel();
    clock.advance(1000);
    expect(ticks).toBe(2);
  });
});

describe('systemClock timers', () => {
  it('runs an interval in real time', async () => {
    let ticks = 0;
    const timer = systemClock.setInterval(() => ticks++, 5);
    await new Promise<void>((resolve) => {
      const check = systemClock.setInterval(() => {
        if (ticks >= 2) {
          check.cancel();
          resolve();
        }
      }, 5);
    });
    timer.cancel();
    expect(ticks).toBeGreaterThanOrEqual(2);
  });
});
