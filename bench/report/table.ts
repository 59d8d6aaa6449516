import { num, ratio, target, verdict } from './format.ts';
import type { ScenarioResult } from './types.ts';

/** A plain-text table for the terminal: one line per figure, skipped scenarios with their reason. */
export function textTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'metric', 'unit', 'relay', 'baseline', 'ratio', 'target', ''];
  const lines: string[][] = [header];
  for (const result of results) {
    if (result.status !== 'ok' && result.rows.length === 0) {
      lines.push([result.name, `${result.status}: ${result.reason ?? ''}`, '', '', '', '', '', '']);
      continue;
    }
    for (const r of result.rows) {
      lines.push([result.name, r.metric, r.unit, num(r.relay, r.unit), num(r.baseline, r.unit), ratio(r), target(r), verdict(r)]);
    }
    if (result.status === 'failed') lines.push([result.name, `failed: ${result.reason ?? ''}`, '', '', '', '', '', '']);
  }
  const widths = header.map((_, col) => Math.max(...lines.filter((l) => !isWide(l)).map((l) => (l[col] ?? '').length)));
  return lines
    .map((l) => (isWide(l) ? `${pad(l[0] ?? '', widths[0] ?? 0)}  ${l[1]}` : l.map((cell, col) => pad(cell, widths[col] ?? 0, col >= 3 && col <= 5)).join('  ').trimEnd()))
    .join('\n');
}

// A status line spans the row instead of widening the metric column.
const isWide = (line: string[]) => line.slice(2).every((c) => c === '') && /^(skipped|failed):/.test(line[1] ?? '');

const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text.padEnd(width));
