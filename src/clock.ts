/** A scheduled callback; cancelling one that has run (or was cancelled) does nothing. */
export interface Timer {
  cancel(): void;
}

/**
 * Injected time: the current instant and timers against it. Expiry is tested by moving a fake
 * clock, which fires the timers that fall due, never by sleeping.
 */
export interface Clock {
  now(): number;
  /** Runs `fn` once, `ms` from now. It never keeps the process alive on its own. */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Runs `fn` every `ms` (at least 1 ms) until cancelled. It never keeps the process alive on its own. */
  setInterval(fn: () => void, ms: number): Timer;
}

/** Node's timers overflow past 2^31-1 ms (about 24.8 days) and fire at once; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    let handle: NodeJS.Timeout;
    const arm = (remaining: number) => {
      handle = setTimeout(() => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : fn()), Math.min(Math.max(0, remaining), MAX_TIMER_MS));
      handle.unref();
    };
    arm(ms);
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(fn, ms) {
    const handle = setInterval(fn, Math.min(Math.max(1, ms), MAX_TIMER_MS));
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  },
};

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
  /** Set for an interval: it is re-armed this far after each firing. */
  every?: number;
}

/** Time that moves only when told; `advance` fires every timer that falls due, in order. */
export class FakeClock implements Clock {
  private timers: FakeTimer[] = [];
  private seq = 0;
  constructor(private current = Date.parse('2026-01-01T00:00:00Z')) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  setInterval(fn: () => void, ms: number): Timer {
    const every = Math.max(1, ms);
    const timer: FakeTimer = { at: this.current + every, seq: this.seq++, fn, every };
    this.timers.push(timer);
    // The same object is re-armed after each firing, so cancelling it works at any time.
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Moves time forward, firing due timers at their own instants (a timer set while firing fires too, if due). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = Math.max(this.current, due.at);
      if (due.every !== undefined) {
        due.at += due.every;
        due.seq = this.seq++;
        this.timers.push(due);
      }
      due.fn();
    }
    this.current = target;
  }

  /** Timers not yet fired (tests check that nothing is left behind). */
  get pending(): number {
    return this.timers.length;
  }
}

export const isoAt = (ms: number): string => new Date(ms).toISOString();
