import type { Clock, Timer } from '../clock.ts';

/**
 * One shared timer for many deadlines (token and grant expiry of every dashboard socket).
 * A timer per socket costs a Timeout object, a closure and a timer-list entry for each of
 * 100,000 sockets; here deadlines are grouped into slots of `slotMs` and only the earliest
 * slot has a clock timer. A callback runs at or after its deadline, never before, and at most
 * `slotMs` late.
 */
export class ExpiryWheel {
  private readonly slots = new Map<number, Set<() => void>>();
  private armed: { at: number; timer: Timer } | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly slotMs = 250,
  ) {}

  /** Runs `fn` once when `at` (epoch ms) has passed; the returned timer cancels it. */
  schedule(at: number, fn: () => void): Timer {
    const slot = Math.ceil(at / this.slotMs) * this.slotMs;
    let due = this.slots.get(slot);
    if (!due) {
      due = new Set();
      this.slots.set(slot, due);
    }
    // A wrapper per entry, so the same function scheduled twice is two entries.
    const entry = () => fn();
    due.add(entry);
    this.arm();
    return {
      cancel: () => {
        const set = this.slots.get(slot);
        if (!set?.delete(entry) || set.size > 0) return;
        this.slots.delete(slot);
        // An emptied earliest slot needs no wake-up; the next one is armed lazily when this fires.
      },
    };
  }

  /** Deadlines waiting (tests and memory reports). */
  get size(): number {
    let n = 0;
    for (const set of this.slots.values()) n += set.size;
    return n;
  }

  private earliest(): number | undefined {
    let min: number | undefined;
    for (const slot of this.slots.keys()) if (min === undefined || slot < min) min = slot;
    return min;
  }

  /** Keeps exactly one clock timer, at the earliest slot. */
  private arm(): void {
    const next = this.earliest();
    if (next === undefined) {
      this.armed?.timer.cancel();
      this.armed = undefined;
      return;
    }
    if (this.armed && this.armed.at <= next) return;
    this.armed?.timer.cancel();
    this.armed = { at: next, timer: this.clock.setTimeout(() => this.fire(), next - this.clock.now()) };
  }

  private fire(): void {
    this.armed = undefined;
    const now = this.clock.now();
    for (const [slot, set] of [...this.slots]) {
      if (slot > now) continue;
      this.slots.delete(slot);
      for (const fn of set) fn();
    }
    this.arm();
  }
}
