import { readFileSync } from 'node:fs';

/** Linux USER_HZ: /proc reports CPU time in these ticks; 100 on every mainstream kernel build. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads) another process has used so far, in ms. Under contention
 * from other work, CPU time per request moves far less than requests per second, so it is the
 * steadier figure on a shared machine.
 */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}
