// @ts-check
/** "2:05" for a number of milliseconds (never negative). */
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return `${minutes}:${seconds}`;
}

/** A short local date and time for an ISO timestamp. */
export function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * Calls `tick(msLeft)` every second until `deadline`, then `done()`. Returns a stop function.
 */
export function runCountdown(deadline, tick, done) {
  const step = () => {
    const left = deadline - Date.now();
    tick(left);
    if (left <= 0) {
      clearInterval(timer);
      done?.();
    }
  };
  const timer = setInterval(step, 1000);
  step();
  return () => clearInterval(timer);
}
